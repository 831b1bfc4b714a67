"""Django admin actions that need input first (a reason, a transfer reference, a refund split):
one intermediate page (`admin/action_with_form.html`) and one apply-and-report loop for every context."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.admin import helpers
from django.template.response import TemplateResponse

from conectar.shared.errors import DomainError


def action_with_form(
    modeladmin,
    request,
    queryset,
    *,
    form_class: type[forms.Form],
    action_name: str,
    title: str,
    intro: str,
    items: Callable[[Any], str],
    apply: Callable[[Any, dict], object],
    submit_label: str,
    verb: str,
    note: str = "",
) -> TemplateResponse | None:
    """Show the form for the selected objects; once it is valid, `apply(obj, cleaned_data)` to each
    (through the context's services), report what changed and what was refused (a DomainError's
    detail), and go back to the list."""
    form = form_class(request.POST if "apply" in request.POST else None)
    if form.is_valid():
        apply_each(modeladmin, request, queryset, lambda obj: apply(obj, form.cleaned_data), verb=verb)
        return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "intro": intro,
        "items": [items(obj) for obj in queryset],
        "note": note,
        "action_name": action_name,
        "submit_label": submit_label,
        "opts": modeladmin.opts,
        "queryset": queryset,
        "form": form,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "media": modeladmin.media,
    }
    request.current_app = modeladmin.admin_site.name
    return TemplateResponse(request, "admin/action_with_form.html", context)


def apply_each(modeladmin, request, queryset, apply: Callable[[Any], object], *, verb: str) -> None:
    """`apply(obj)` to each selected object (through the context's services) and report: what
    changed, and each object a business rule left unchanged, with the rule's message."""
    done, refused = 0, []
    for obj in queryset:
        try:
            apply(obj)
        except DomainError as exc:
            refused.append(f"{obj}: {exc.detail}")
        else:
            done += 1
    report(modeladmin, request, done, refused, verb=verb)


def report(modeladmin, request, done: int, refused: Iterable[str], *, verb: str) -> None:
    """ "Se <verb> N." for what changed; one warning naming each object left unchanged and why."""
    if done:
        modeladmin.message_user(request, f"Se {verb} {done}.", messages.SUCCESS)
    for line in refused:
        modeladmin.message_user(request, f"Sin cambios — {line}", messages.WARNING)
