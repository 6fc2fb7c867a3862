"""lesto's pytest plugin: a user's project with an `app` fixture gets `client` and `async_client`.

The project is written to a temporary folder and run by pytest in a process of its own, the plugin
loaded as any user's pytest loads it: through the installed package's `pytest11` entry point.
"""

import subprocess
import sys
import textwrap
from pathlib import Path

CONFTEST = '''
import pytest
from lesto import Application

events = []

@pytest.fixture
def app():
    app = Application()
    app.router.add_route("/", lambda request: request.Response(text="home"))
    app.on_startup(lambda app: events.append("startup"))
    app.on_shutdown(lambda app: events.append("shutdown"))
    return app
'''

TESTS = '''
import pytest
from conftest import events

def test_sync(client):
    assert client.get("/").text == "home"
    assert events == ["startup"]

def test_the_hooks_ran_around_it():
    assert events == ["startup", "shutdown"]
    events.clear()

@pytest.mark.anyio
async def test_async(async_client):
    assert (await async_client.get("/")).text == "home"
    assert events == ["startup"]

@pytest.fixture
def anyio_backend():
    return "asyncio"
'''


def test_the_fixtures_serve_the_users_app(tmp_path):
    (tmp_path / "conftest.py").write_text(textwrap.dedent(CONFTEST))
    (tmp_path / "test_app.py").write_text(textwrap.dedent(TESTS))
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                             str(tmp_path)], cwd=tmp_path, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 passed" in result.stdout


def readme_example():
    """The complete pytest example of the README's 'Testing your app'."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme[readme.index("## Testing your app"):]
    start = section.index("```python\n# test_app.py\n") + len("```python\n")
    return section[start:section.index("```", start)]


def test_the_readmes_example_passes(tmp_path):
    (tmp_path / "test_app.py").write_text(readme_example())
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                             str(tmp_path)], cwd=tmp_path, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 passed" in result.stdout
