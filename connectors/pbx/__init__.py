"""PBX connectors (CALL-21): the adapter interface in :mod:`connectors.pbx.base`, Asterisk AMI in
:mod:`connectors.pbx.ami`, Panasonic SMDR and caller-ID boxes beside them."""
