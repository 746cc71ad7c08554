"""What the generated CI workflow pip-installs: what this knotebook came from, when CI can."""

import yaml

from knotebook import __version__
from knotebook.scaffold import workflow


def test_from_an_index_the_version_is_pinned():
    assert workflow.install_from(None) == workflow.Install(f"knotebook=={__version__}")


def test_from_a_git_url_the_url_pinned_to_its_commit():
    direct_url = {
        "url": "https://github.com/example/knotebook.git",
        "vcs_info": {"vcs": "git", "commit_id": "0f2e492aa", "requested_revision": "main"},
    }
    assert workflow.install_from(direct_url) == workflow.Install(
        "'knotebook @ git+https://github.com/example/knotebook.git@0f2e492aa'"
    )


def test_from_a_wheel_url_that_url():
    url = "https://example.com/dist/knotebook-0.1.0-py3-none-any.whl"
    install = workflow.install_from({"url": url, "archive_info": {}})
    assert install == workflow.Install(f"'knotebook @ {url}'")


def test_from_a_local_wheel_or_checkout_a_placeholder_and_a_note():
    for direct_url in (
        {"url": "file:///home/me/knotebook-0.1.0-py3-none-any.whl", "archive_info": {}},
        {"url": "file:///home/me/knotebook", "dir_info": {"editable": True}},
    ):
        install = workflow.install_from(direct_url)
        assert install.spec == workflow.PLACEHOLDER
        assert install.note.startswith("CI needs --package SPEC: knotebook was installed from /")
        assert "\n" not in install.note


def test_init_ci_in_a_user_project_says_ci_needs_a_package(cli, tmp_path):
    # this knotebook is an editable install of a checkout: a path CI cannot reach
    result = cli("init-ci", cwd=tmp_path)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1].startswith("CI needs --package SPEC: ")
    text = (tmp_path / ".github" / "workflows" / "knotebook.yml").read_text()
    step = next(
        s for s in yaml.safe_load(text)["jobs"]["validate"]["steps"] if s.get("name") == "Install"
    )
    assert step["run"] == f"python -m pip install {workflow.PLACEHOLDER}"
    assert step["env"] == {"KNOTEBOOK_PACKAGE": "${{ vars.KNOTEBOOK_PACKAGE }}"}
    assert "==" not in step["run"]


def test_init_ci_with_a_package_says_nothing_more(cli, tmp_path):
    spec = "knotebook @ git+https://github.com/example/knotebook@v0.1.0"
    result = cli("init-ci", "--package", spec, cwd=tmp_path)
    assert "CI needs" not in result.output
    assert (
        f"python -m pip install '{spec}'"
        in (tmp_path / ".github/workflows/knotebook.yml").read_text()
    )
