from django.urls import path

from conectar.users.http import views

urlpatterns = [
    path("users/me", views.MeView.as_view(), name="users-me"),
    path("users/me/avatar", views.AvatarView.as_view(), name="users-me-avatar"),
    path("users/me/password", views.PasswordView.as_view(), name="users-me-password"),
    path("users/me/change-password", views.PasswordViewV1.as_view(), name="users-me-change-password"),
    path("users/<uuid:user_id>", views.UserDetailView.as_view(), name="users-detail"),
    path("admin/users", views.AdminUsersView.as_view(), name="admin-users"),
    path("admin/users/search", views.AdminUserSearchView.as_view(), name="admin-users-search"),
    path("admin/users/<uuid:user_id>/ban", views.AdminBanView.as_view(), name="admin-users-ban"),
    path("admin/users/<uuid:user_id>/unban", views.AdminUnbanView.as_view(), name="admin-users-unban"),
]
