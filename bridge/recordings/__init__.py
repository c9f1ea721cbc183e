"""Call recordings (CALL-28): fetching each call's file from the PBX and attaching it to the call."""
