"""Responses that join several contexts. A context's `http/` sees only other contexts' `contracts`
(importlinter.ini, context-private); what a page shows from several contexts is put together here,
through their facades (remote calls where a context is lifted)."""
