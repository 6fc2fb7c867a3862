"""A chat room over WebSockets: every message a member sends is broadcast to the room.

Each WebSocket is handled by one coroutine; the room is a set of them. A
member whose connection is slow does not hold the others up for long: its
send() waits only while its own output is above the high-water mark, and a
member that has gone is dropped from the room.

    python examples/chat.py [HOST] [PORT]
    python -m websockets ws://127.0.0.1:8080/chat/lobby?name=ann   # in two terminals
    open http://127.0.0.1:8080/ in a browser for a page that joins the lobby
"""

import asyncio
import json

from lesto import Application, WebSocketClosed

rooms: dict[str, set] = {}

PAGE = """<!doctype html><title>Lesto chat</title>
<ul id=log></ul><form id=f><input id=m autofocus><button>Send</button></form>
<script>
const ws = new WebSocket(`ws://${location.host}/chat/lobby?name=guest${Date.now() % 1000}`);
ws.onmessage = e => { const m = JSON.parse(e.data), li = document.createElement('li');
  li.textContent = `${m.name}: ${m.text}`; log.append(li); };
f.onsubmit = e => { e.preventDefault(); ws.send(m.value); m.value = ''; };
</script>"""


async def broadcast(room, message):
    members = rooms.get(room, set())
    # Each member's send waits only for that member's room in its output.
    results = await asyncio.gather(*(ws.send(message) for ws in members),
                                   return_exceptions=True)
    for ws, result in zip(list(members), results):
        if isinstance(result, WebSocketClosed):
            members.discard(ws)


async def chat(ws):
    room = ws.request.match_dict['room']
    name = ws.request.query.get('name', 'anonymous')
    await ws.accept()
    members = rooms.setdefault(room, set())
    members.add(ws)
    await broadcast(room, json.dumps({'name': 'server', 'text': f'{name} joined'}))
    try:
        async for text in ws:
            await broadcast(room, json.dumps({'name': name, 'text': text}))
    finally:
        members.discard(ws)
        await broadcast(room, json.dumps({'name': 'server', 'text': f'{name} left'}))


def page(request):
    return request.Response(text=PAGE, mime_type='text/html')


app = Application()
app.router.add_route('/', page)
app.router.add_websocket('/chat/{room}', chat)

if __name__ == '__main__':
    import sys
    host = sys.argv[1] if len(sys.argv) > 1 else '127.0.0.1'
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 8080
    app.run(host=host, port=port)
