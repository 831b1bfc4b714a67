"""The demo's steps. Everything goes through the contexts' facades — the same services the routes
and Django admin use — so search rows, KYC history, events and stored files are what real use
would leave. Each step is skipped when its result is already there: a second run creates nothing.

A professional is set up only while PENDIENTE (fresh): one that staff or the person has moved on
since (rejected, approved by hand, edited) is left as it is."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from uuid import UUID

from conectar.auth_ctx import facade as accounts
from conectar.auth_ctx.contracts import AccountDTO, NewAccount, Role
from conectar.devtools.demo import images
from conectar.devtools.demo.credentials import Credentials
from conectar.devtools.demo.plan import (
    CLIENTE_NAME,
    DEFAULT_APPROVED,
    DEFAULT_PENDING,
    DemoProfessional,
    approved_professionals,
    featured_professional,
    pending_professionals,
)
from conectar.professionals import facade as professionals
from conectar.professionals.contracts import DocumentUpload, KycStatus, OficioDTO, ProfessionalSummary, WorkProfile

DOCUMENTS = (("DNI_FRENTE", "dni-frente.jpg"), ("DNI_DORSO", "dni-dorso.jpg"), ("SELFIE", "selfie.jpg"))
Progress = Callable[[int, int], None]


class MissingOficio(LookupError):
    pass


@dataclass
class SeedReport:
    accounts_created: int = 0
    approved: int = 0  # professionals this run approved
    queued: int = 0  # professionals this run left waiting in the KYC queue
    portfolio_items: int = 0
    skipped: list[str] = field(default_factory=list)  # demo e-mails held by an account of another role
    seconds: float = 0.0

    @property
    def created_anything(self) -> bool:
        return any((self.accounts_created, self.approved, self.queued, self.portfolio_items))


def seed_demo(
    *,
    credentials: Credentials,
    approved: int = DEFAULT_APPROVED,
    pending: int = DEFAULT_PENDING,
    progress: Progress | None = None,
) -> SeedReport:
    """The demo admin, the catalogue, a cliente, the featured professional, `approved` approved
    professionals and `pending` ones waiting for KYC review."""
    started = time.perf_counter()
    report = SeedReport()
    admin, created = accounts.ensure_admin(email=credentials.admin_email, password=credentials.admin_password)
    report.accounts_created += created
    catalogue = {oficio.nombre: oficio for oficio in professionals.ensure_catalogue()}
    people = [
        featured_professional(credentials.profesional_email),
        *approved_professionals(approved),
        *pending_professionals(pending),
    ]
    missing = sorted({o for person in people for o in person.oficios} - set(catalogue))
    if missing:
        raise MissingOficio(f"the oficio catalogue lacks {', '.join(missing)}")

    seeded = accounts.seed_accounts(
        people=[
            NewAccount(
                email=credentials.cliente_email, nombre=CLIENTE_NAME[0], apellido=CLIENTE_NAME[1], role=Role.CLIENTE
            ),
            *(NewAccount(email=p.email, nombre=p.nombre, apellido=p.apellido, role=Role.PROFESIONAL) for p in people),
        ],
        password=credentials.password,
    )
    report.accounts_created += sum(created for _, created in seeded)
    cliente, *pro_accounts = (account for account, _ in seeded)
    if cliente.role != Role.CLIENTE:
        report.skipped.append(cliente.email)

    known = professionals.summaries(usuario_ids=[account.id for account in pro_accounts])
    for done, (person, account) in enumerate(zip(people, pro_accounts, strict=True), start=1):
        if account.role != Role.PROFESIONAL:
            report.skipped.append(account.email)
            continue
        worked = _professional(
            person, account, known.get(account.id), catalogue=catalogue, admin_id=admin.id, report=report
        )
        if worked and progress is not None:
            progress(done, len(people))
    report.seconds = time.perf_counter() - started
    return report


def _professional(
    person: DemoProfessional,
    account: AccountDTO,
    summary: ProfessionalSummary | None,
    *,
    catalogue: dict[str, OficioDTO],
    admin_id: UUID,
    report: SeedReport,
) -> bool:
    """Set up what is missing of `person`; False when nothing was."""
    worked = summary is None
    if summary is None:  # the registration event has not been delivered yet: do its part now
        summary = professionals.ensure_professional(
            usuario_id=account.id, nombre=person.nombre, apellido=person.apellido
        )
    if summary.estado_verificacion == KycStatus.PENDIENTE:
        professionals.set_up_work_profile(usuario_id=account.id, profile=_work_profile(person, catalogue))
        report.portfolio_items += _portfolio(person, account.id)
        summary = professionals.submit_kyc_documents(usuario_id=account.id, documents=_documents(person))
        report.queued += not person.approved
        worked = True
    if person.approved and summary.estado_verificacion == KycStatus.EN_REVISION:
        professionals.approve_kyc(professional_id=summary.id, by=admin_id)
        report.approved += 1
        worked = True
    return worked


def _work_profile(person: DemoProfessional, catalogue: dict[str, OficioDTO]) -> WorkProfile:
    oficios = [catalogue[nombre] for nombre in person.oficios]
    return WorkProfile(
        latitude=person.latitude,
        longitude=person.longitude,
        radio_cobertura_km=person.radio_cobertura_km,
        oficio_ids=tuple(o.id for o in oficios),
        servicio_ids=tuple(s for o in oficios for s in o.servicio_ids) if person.acepta_instant else (),
        acepta_instant=person.acepta_instant,
        tarifa_por_hora=person.tarifa_por_hora,
        payout_account=person.payout_account,
    )


def _portfolio(person: DemoProfessional, usuario_id: UUID) -> int:
    """The planned items not there yet (by title, so a run cut short is completed, not doubled)."""
    present = set(professionals.portfolio_titles(usuario_id=usuario_id))
    added = 0
    for number, entry in enumerate(person.portfolio):
        if entry.titulo in present:
            continue
        pictures = [images.portfolio_picture(f"{person.key}/{number}/{i}", entry.titulo) for i in range(entry.images)]
        professionals.add_portfolio_item(
            usuario_id=usuario_id, titulo=entry.titulo, descripcion=entry.descripcion, images=pictures
        )
        added += 1
    return added


def _documents(person: DemoProfessional) -> list[DocumentUpload]:
    return [
        DocumentUpload(
            kind=kind,
            filename=filename,
            content=images.identity_document(
                f"{person.key}/{kind}", kind, nombre=person.nombre, apellido=person.apellido, dni=person.dni
            ),
        )
        for kind, filename in DOCUMENTS
    ]
