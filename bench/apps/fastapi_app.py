"""Bench app: FastAPI, `Hello world!` as plain text at / and {"message": "Hello, World!"} at /json.

Served as bench.apps.fastapi_app:app by Lesto, granian and uvicorn alike
(bench/asgi.py). Both handlers are `async def`, FastAPI's fast path: a plain
`def` handler would run in a thread pool, and measure that pool.
"""

from fastapi import FastAPI
from fastapi.responses import PlainTextResponse

app = FastAPI()


@app.get('/', response_class=PlainTextResponse)
async def hello():
    return 'Hello world!'


@app.get('/json')
async def json():
    return {'message': 'Hello, World!'}  # FastAPI's default: jsonable_encoder, then JSONResponse
