"""Cross-context read compositions for staff. They live here, in the composition root, and ask
each context through its facade only."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from conectar.auth_ctx import facade as accounts
from conectar.platform.permissions import IsAdmin
from conectar.professionals import facade as professionals


class UserMetricsView(APIView):
    permission_classes = [IsAdmin]

    @extend_schema(
        summary="Users by role and professionals by KYC state (staff)",
        responses=OpenApiResponse(
            description="{total_clientes, total_profesionales, total_pro_pendientes_kyc, total_pro_aprobados}"
        ),
        tags=["admin"],
    )
    def get(self, request):
        roles = accounts.count_by_role()
        kyc = professionals.kyc_counts()
        return Response(
            {
                "total_clientes": roles.clientes,
                "total_profesionales": roles.profesionales,
                "total_pro_pendientes_kyc": kyc.pendientes,
                "total_pro_aprobados": kyc.aprobados,
            }
        )
