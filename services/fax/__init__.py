"""Fax use cases, host-agnostic and synchronous on a Dataverse client and a ``FaxServer`` (FAX-01..19).

``directory`` reads the fax servers and numbers; ``sending`` finds, claims,
checks and submits pending faxes (reconciling a submit whose outcome is
unknown by our key); ``tracking`` reads open jobs' status and carries out
cancels; ``receiving`` turns received faxes into incoming fax activities.
Every write other than the conditional claim goes through a :data:`Sink`
(the bridge's outbox), so nothing is lost when Dataverse is down.
"""
