"""Django admin for the professionals context: the oficio catalogue and the KYC review.

KYC review: the professionals list opens on the queue (EN_REVISION, oldest submission first); a
professional's page shows the documents (images inline, PDFs linked, both through the signed
document route) and the decision history, with approve and reject-with-reason buttons. Bulk
approve/reject are admin actions (bulk reject asks for the reason on an intermediate page). Every
decision goes through `services.kyc` (state machine, history, events); nothing here writes the
state. Professionals' other data is read-only here: it changes through its own services, which
keep the search index and the events in step.
"""

from __future__ import annotations

import uuid

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.timesince import timesince

from conectar.auth_ctx import facade as accounts
from conectar.platform.admin_actions import action_with_form, apply_each
from conectar.platform.admin_filters import QueueFilter
from conectar.platform.admin_readonly import ReadOnlyInline
from conectar.professionals.contracts import KycStateConflict, KycStatus
from conectar.professionals.models import KycDecision, KycDocument, Oficio, Professional, ServicioInstant
from conectar.professionals.selectors import kyc as kyc_selectors
from conectar.professionals.services import kyc
from conectar.shared.errors import InvalidInput

IMAGE_TYPES = {"image/jpeg", "image/png"}


def _account_email(user_id) -> str:
    if user_id is None:
        return "—"
    account = accounts.get_account(user_id=user_id)
    return account.email if account else str(user_id)


# --- catalogue --------------------------------------------------------------------------------------


def _one_line(value: str) -> str:
    return " ".join((value or "").split())


class OficioForm(forms.ModelForm):
    class Meta:
        model = Oficio
        fields = ("nombre", "descripcion")

    def clean_nombre(self):
        nombre = _one_line(self.cleaned_data["nombre"])
        if len(nombre) < 3:  # noqa: PLR2004 - API.md: nombre 3 to 100
            raise ValidationError("El nombre tiene que tener al menos 3 caracteres.")
        if Oficio.objects.filter(nombre__iexact=nombre).exclude(pk=self.instance.pk).exists():
            raise ValidationError(f"Ya existe el oficio «{nombre}».")
        return nombre


class ServicioInstantFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        seen: set[str] = set()
        for form in self.forms:
            nombre = _one_line(form.cleaned_data.get("nombre", "")) if hasattr(form, "cleaned_data") else ""
            if not nombre:
                continue
            form.cleaned_data["nombre"] = nombre
            form.instance.nombre = nombre
            clash = ServicioInstant.objects.filter(oficio=self.instance, nombre__iexact=nombre).exclude(
                pk=form.instance.pk
            )
            if nombre.lower() in seen or (self.instance.pk and clash.exists()):
                raise ValidationError(f"«{nombre}» está repetido en este oficio.")
            seen.add(nombre.lower())


class ServicioInstantInline(admin.TabularInline):
    model = ServicioInstant
    formset = ServicioInstantFormSet
    fields = ("nombre", "descripcion", "precio_fijo", "created_at")
    readonly_fields = ("created_at",)
    extra = 0
    can_delete = False  # professionals offer them; retire by renaming, not by deleting


@admin.register(Oficio)
class OficioAdmin(admin.ModelAdmin):
    form = OficioForm
    inlines = (ServicioInstantInline,)
    list_display = ("nombre", "descripcion", "created_at")
    search_fields = ("nombre",)
    ordering = ("nombre",)

    def get_readonly_fields(self, request, obj=None):
        # The name is copied into the search index of every professional with the oficio: it is
        # set once, when the oficio is created.
        return ("nombre", "created_at") if obj is not None else ("created_at",)

    def has_delete_permission(self, request, obj=None):
        return False  # professionals and the search index refer to it


# --- KYC review -------------------------------------------------------------------------------------


class KycQueueFilter(QueueFilter):
    """By verification state; with no choice made, the review queue (EN_REVISION)."""

    title = "verificación (KYC)"
    parameter_name = "kyc"
    ALL = "todos"
    DEFAULT = KycStatus.EN_REVISION.value

    def lookups(self, request, model_admin):
        labels = {
            KycStatus.EN_REVISION: "En revisión (cola)",
            KycStatus.PENDIENTE: "Pendiente (sin documentos)",
            KycStatus.RECHAZADO: "Rechazado",
            KycStatus.APROBADO: "Aprobado",
        }
        return [(status.value, label) for status, label in labels.items()] + [(self.ALL, "Todos")]

    def filter(self, queryset, value):
        return queryset.filter(estado_verificacion=value)


class KycRejectForm(forms.Form):
    motivo = forms.CharField(
        label="Motivo del rechazo",
        help_text="Lo lee el profesional: decile qué tiene que corregir.",
        min_length=kyc.MOTIVO_MIN_LENGTH,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 70}),
    )


def document_preview(document: KycDocument) -> str:
    """An <img> for images, a link for PDFs; both through a fresh short-lived signed link."""
    url = kyc_selectors.document_link(document).url
    if document.content_type in IMAGE_TYPES:
        return format_html(
            '<a href="{}" target="_blank" rel="noopener noreferrer">'
            '<img src="{}" alt="{}" style="max-height:240px;max-width:360px;border:1px solid #ccc" '
            'referrerpolicy="no-referrer"></a>',
            url,
            url,
            document.get_kind_display(),
        )
    return format_html(
        '<a href="{}" target="_blank" rel="noopener noreferrer">Abrir PDF ({} KB)</a>',
        url,
        max(1, document.size // 1024),
    )


class KycDocumentInline(ReadOnlyInline):
    model = KycDocument
    verbose_name = "documento"
    verbose_name_plural = "Documentos de identidad (los enlaces duran unos minutos: recargá la página si vencen)"
    fields = ("submission", "kind", "vista_previa", "content_type", "size", "original_name", "uploaded_at")
    readonly_fields = fields
    ordering = ("-submission", "uploaded_at")
    show_change_link = False

    @admin.display(description="vista previa")
    def vista_previa(self, document):
        return document_preview(document) if document.pk else "—"


class KycDecisionInline(ReadOnlyInline):
    model = KycDecision
    verbose_name = "decisión"
    verbose_name_plural = "Historial de verificación"
    fields = ("decided_at", "estado", "motivo", "decidido_por")
    readonly_fields = fields
    ordering = ("-decided_at",)

    @admin.display(description="decidido por")
    def decidido_por(self, decision):
        return _account_email(decision.decided_by) if decision.decided_by else "el profesional (envío)"


@admin.register(Professional)
class ProfessionalAdmin(admin.ModelAdmin):
    change_form_template = "professionals/admin/professional_change_form.html"
    list_display = ("__str__", "estado_verificacion", "kyc_submitted_at", "esperando", "nivel", "account_active")
    list_filter = (KycQueueFilter, "nivel", "account_active")
    search_fields = ("nombre", "apellido")
    inlines = (KycDocumentInline, KycDecisionInline)
    actions = ("approve_kyc", "reject_kyc")
    list_per_page = 50
    fieldsets = (
        ("Persona", {"fields": ("nombre", "apellido", "cuenta", "usuario_id", "account_active", "avatar_url")}),
        ("Verificación (KYC)", {"fields": ("estado_verificacion", "kyc_submitted_at", "kyc_motivo_rechazo")}),
        (
            "Perfil",
            {
                "fields": (
                    "oficios",
                    "servicios",
                    "ubicacion",
                    "radio_cobertura_km",
                    "acepta_instant",
                    "tarifa_por_hora",
                )
            },
        ),
        (
            "Nivel y reputación",
            {"fields": ("nivel", "puntos_experiencia", "tasa_comision_actual", "rating_promedio", "total_resenas")},
        ),
        ("Registro", {"fields": ("id", "created_at", "updated_at")}),
    )
    readonly_fields = tuple(field for _, options in fieldsets for field in options["fields"])

    # --- queue ---

    def get_ordering(self, request):
        if request.GET.get(KycQueueFilter.parameter_name, KycQueueFilter.DEFAULT) == KycQueueFilter.DEFAULT:
            return ("kyc_submitted_at", "created_at")  # the queue: oldest submission first
        return ("-created_at",)

    def get_search_results(self, request, queryset, search_term):
        """Names as usual; a UUID finds the professional by its id or its account id."""
        try:
            wanted = uuid.UUID(search_term.strip())
        except ValueError:
            return super().get_search_results(request, queryset, search_term)
        return queryset.filter(Q(pk=wanted) | Q(usuario_id=wanted)), False

    @admin.display(description="esperando hace")
    def esperando(self, professional):
        if professional.estado_verificacion != KycStatus.EN_REVISION or professional.kyc_submitted_at is None:
            return "—"
        return timesince(professional.kyc_submitted_at)

    @admin.display(description="cuenta")
    def cuenta(self, professional):
        return _account_email(professional.usuario_id)

    @admin.display(description="ubicación")
    def ubicacion(self, professional):
        point = professional.location
        return f"{point.y:.5f}, {point.x:.5f}" if point else "—"

    # --- read-only record ---

    def has_add_permission(self, request):
        return False  # professionals are born from registrations

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        """Nothing on this page is edited through the form (every field is read-only); profile
        data changes only through its services, which keep the search index and events in step."""

    def save_related(self, request, form, formsets, change):
        """See save_model: the inlines are read-only too."""

    def change_view(self, request, object_id, form_url="", extra_context=None):
        professional = self.get_object(request, object_id)
        can_decide = (
            professional is not None
            and professional.estado_verificacion == KycStatus.EN_REVISION
            and self.has_change_permission(request, professional)
        )
        context = {
            **(extra_context or {}),
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
            "show_delete": False,
            "kyc_can_decide": can_decide,
            "kyc_reject_form": KycRejectForm(),
        }
        if can_decide:
            context["kyc_approve_url"] = reverse(self._url_name("kyc_approve"), args=[professional.pk])
            context["kyc_reject_url"] = reverse(self._url_name("kyc_reject"), args=[professional.pk])
        return super().change_view(request, object_id, form_url, extra_context=context)

    # --- single decisions (buttons on the professional's page) ---

    def _url_name(self, suffix: str) -> str:
        return f"{self.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}_{suffix}"

    def get_urls(self):
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        own = [
            path(
                "<uuid:object_id>/kyc/aprobar/",
                self.admin_site.admin_view(self.kyc_approve_view),
                name=f"{prefix}_kyc_approve",
            ),
            path(
                "<uuid:object_id>/kyc/rechazar/",
                self.admin_site.admin_view(self.kyc_reject_view),
                name=f"{prefix}_kyc_reject",
            ),
        ]
        return own + super().get_urls()  # before the catch-all "<path:object_id>/" of the defaults

    def _decidable(self, request, object_id) -> Professional:
        professional = self.get_object(request, str(object_id))
        if professional is None:
            raise Http404
        if not self.has_change_permission(request, professional):
            raise PermissionDenied
        return professional

    def kyc_approve_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        professional = self._decidable(request, object_id)
        try:
            kyc.kyc_approve(professional_id=professional.pk, by=request.user.pk)
        except KycStateConflict as exc:
            self.message_user(request, exc.detail, messages.ERROR)
            return redirect(self._url_name("change"), professional.pk)
        self.message_user(request, f"Verificación de {professional} aprobada.", messages.SUCCESS)
        return redirect(self._url_name("changelist"))

    def kyc_reject_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        professional = self._decidable(request, object_id)
        form = KycRejectForm(request.POST)
        if not form.is_valid():
            for error in form.errors.get("motivo", []):
                self.message_user(request, f"Motivo: {error}", messages.ERROR)
            return redirect(self._url_name("change"), professional.pk)
        try:
            kyc.kyc_reject(professional_id=professional.pk, by=request.user.pk, motivo=form.cleaned_data["motivo"])
        except (KycStateConflict, InvalidInput) as exc:
            self.message_user(request, _error_text(exc), messages.ERROR)
            return redirect(self._url_name("change"), professional.pk)
        self.message_user(request, f"Verificación de {professional} rechazada.", messages.SUCCESS)
        return redirect(self._url_name("changelist"))

    # --- bulk decisions (admin actions) ---

    @admin.action(description="Aprobar la verificación (KYC) de los seleccionados", permissions=["change"])
    def approve_kyc(self, request, queryset):
        apply_each(
            self,
            request,
            queryset,
            lambda p: kyc.kyc_approve(professional_id=p.pk, by=request.user.pk),
            verb="aprobaron",
        )

    @admin.action(description="Rechazar la verificación (KYC) de los seleccionados…", permissions=["change"])
    def reject_kyc(self, request, queryset):
        return action_with_form(
            self,
            request,
            queryset,
            form_class=KycRejectForm,
            action_name="reject_kyc",
            title="Rechazar verificaciones",
            intro="Vas a rechazar la verificación de identidad de:",
            items=lambda p: f"{p} — {p.estado_verificacion}",
            note="Los que no estén en revisión quedan sin cambios. Todos reciben el mismo motivo.",
            submit_label="Rechazar",
            verb="rechazaron",
            apply=lambda p, data: kyc.kyc_reject(professional_id=p.pk, by=request.user.pk, motivo=data["motivo"]),
        )


def _error_text(exc) -> str:
    if isinstance(exc, InvalidInput) and exc.fields:
        return " ".join(message for messages_ in exc.fields.values() for message in messages_)
    return exc.detail
