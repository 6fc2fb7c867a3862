"""urls: the contract's routes. No /state or /tasks: Django has no lifespan and no background tasks."""

from django.urls import path

from . import views

urlpatterns = [
    path("hello", views.hello),
    path("items/<int:item_id>", views.item),
    path("greet/<str:name>", views.greet),
    path("search", views.search),
    path("whoami", views.whoami),
    path("json", views.order),
    path("form", views.form),
    path("upload", views.upload),
    path("cookies/set", views.set_cookie),
    path("cookies/read", views.read_cookie),
    path("error/teapot", views.teapot),
    path("error/unhandled", views.unhandled),
    path("stream", views.stream),
    path("sse", views.sse),
    path("file", views.file),
    path("upload/size", views.upload_size),
    path("redirect", views.redirect),
]
