"""FetchXML for the Dataverse emulator: parse (hostile input refused first), plan, run as SQLite SQL.

:func:`emulator.fetchxml.execute.run` runs one query; :mod:`emulator.fetchxml.web` answers
``GET <set>?fetchXml=``, ``?savedQuery=`` and ``?userQuery=``. docs/emulator.md lists the
supported elements, operators and the 501s.
"""
