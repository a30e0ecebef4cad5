"""The list pages' shared parts (cases, the waiting list, the DT&V review queue, LSO
meetings, MRT escalations, the partner inboxes): sortable columns, an export of the current
selection (CSV and XLSX, logged), a print view and saved filters per user.

- ``lvv.lists.listing``: ``Column``, ``ListDefinition`` (a list's columns, sort keys and
  export) and ``Listing`` (a definition bound to a request);
- ``lvv.lists.export``: the CSV and XLSX exports, streamed in chunks and logged;
- ``lvv.lists.api``: the API's ``?ordering=`` with the same sort keys;
- ``lvv.lists.services``: saving and deleting a user's own saved filters.
"""
