"""middleware: the project's one middleware: tags responses and turns AppError into JSON.

Django has no per-exception handler registry: process_exception of a
middleware is its way to map an exception to a response.
"""

import shared
from asgiref.sync import markcoroutinefunction
from django.http import JsonResponse

NAME = "django"


class TagMiddleware:
    async_capable = True
    sync_capable = False

    def __init__(self, get_response):
        self.get_response = get_response
        markcoroutinefunction(self)

    async def __call__(self, request):
        response = await self.get_response(request)
        response[shared.MIDDLEWARE_HEADER] = NAME
        return response

    def process_exception(self, request, exception):
        if isinstance(exception, shared.AppError):
            return JsonResponse(exception.payload(), status=exception.status)
        return None
