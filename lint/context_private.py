"""import-linter contract type `context_private`: default-deny boundaries between contexts.

Lives outside `conectar/` on purpose: it imports import-linter and grimp, which are development
dependencies; production code never imports it (see lint/__init__.py).

The rule, for every direct import of a module inside a context (`<context>.<child>[...]`) by a
module outside it:

- any importer may import the context's `public` children (`contracts`, `facade`);
- a `composer` (the gateway, the composition root) may also import the `composer_public` ones (`http`);
- everything else is private — a module added to a context tomorrow is private without anyone
  listing it;
- a module under another context's `routes` child (`http`) sees only `routes_see` (`contracts`)
  of other contexts: joining several contexts in one response is the gateway's job;
- modules matching a `members` template (`tests.{context}`, `{context}` being the context's last
  name) count as inside that context when they import: a context's own tests may use its internals.
"""

from __future__ import annotations

from dataclasses import dataclass

import grimp
from importlinter import Contract, ContractCheck, fields, output


@dataclass(frozen=True)
class Violation:
    importer: str
    imported: str
    line_numbers: tuple[int, ...]
    reason: str


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


class ContextPrivateContract(Contract):
    type_name = "context_private"

    contexts = fields.ListField(subfield=fields.StringField())
    public = fields.ListField(subfield=fields.StringField())
    composers = fields.ListField(subfield=fields.StringField(), required=False)
    composer_public = fields.ListField(subfield=fields.StringField(), required=False)
    routes = fields.StringField(required=False)
    routes_see = fields.ListField(subfield=fields.StringField(), required=False)
    members = fields.ListField(subfield=fields.StringField(), required=False)

    def check(self, graph: grimp.ImportGraph, verbose: bool) -> ContractCheck:
        contexts = [c for c in self.contexts if c in graph.modules]  # type: ignore[attr-defined]
        violations: list[Violation] = []
        for context in contexts:
            inside = {context, *graph.find_descendants(context)}
            for importer in sorted(graph.find_modules_that_directly_import(context, as_package=True) - inside):
                if self._is_member(importer, context):
                    continue
                for imported in sorted(graph.find_modules_directly_imported_by(importer) & inside):
                    reason = self._refusal(importer, imported, context, contexts)
                    if reason:
                        details = graph.get_import_details(importer=importer, imported=imported)
                        lines = tuple(d["line_number"] for d in details)
                        violations.append(Violation(importer, imported, lines, reason))
        return ContractCheck(kept=not violations, metadata={"violations": violations})

    def _is_member(self, module: str, context: str) -> bool:
        name = context.rsplit(".", 1)[-1]
        return any(_within(module, template.format(context=name)) for template in self.members or ())  # type: ignore[attr-defined]

    def _refusal(self, importer: str, imported: str, context: str, contexts: list[str]) -> str | None:
        """Why `importer` may not import `imported` (of `context`), or None when it may."""
        rest = imported[len(context) + 1 :]
        child = rest.split(".", 1)[0] if rest else ""  # "" is the context package itself
        routes_of = next(
            (c for c in contexts if self.routes and _within(importer, f"{c}.{self.routes}")),  # type: ignore[attr-defined]
            None,
        )
        if routes_of is not None:
            if child in (self.routes_see or ()):  # type: ignore[attr-defined]
                return None
            seen = ", ".join(self.routes_see or ()) or "nothing"  # type: ignore[attr-defined]
            return f"{routes_of}.{self.routes} sees only {seen} of another context; the gateway composes"  # type: ignore[attr-defined]
        if child in self.public:  # type: ignore[attr-defined]
            return None
        is_composer = any(_within(importer, c) for c in self.composers or ())  # type: ignore[attr-defined]
        if is_composer and child in (self.composer_public or ()):  # type: ignore[attr-defined]
            return None
        return f"{imported} is private to {context}"

    def render_broken_contract(self, check: ContractCheck) -> None:
        for v in check.metadata["violations"]:
            lines = ", ".join(map(str, v.line_numbers))
            output.print_error(f"- {v.importer} -> {v.imported} (l.{lines}): {v.reason}", bold=False)
            output.new_line()
