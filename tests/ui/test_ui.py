"""The Airflow UI as a person meets it after ``make airflow-ui``: log in with what the launcher printed,
find the DAG unpaused with nothing running, trigger a dry run from the form and read its plan in the task
log, then a small real run with `publish` off: the validation summary in the log, the "Run reports and
plots" link opening the run's folder, publish skipped. Screenshots land in .local/ui-screenshots/.
"""
from __future__ import annotations

import re
import time
from urllib.parse import quote, unquote

import pytest

from tests.ui.ui_test_env import SCREENSHOTS

pytestmark = pytest.mark.browser

DAG_ID = "fruits_features"
RUN_TIMEOUT_S = 900


def uploaded_objects(launcher) -> int:
    """Images + bad files the launcher uploaded (its first startup line says how many)."""
    match = re.search(r"^uploaded (\d+) .* and (\d+) bad files", launcher.startup_text(), re.MULTILINE)
    return int(match[1]) + int(match[2])


def api(page, launcher, path: str) -> dict:
    """A REST API call with the browser's session (the UI's token cookie)."""
    answer = page.request.get(f"{launcher.base_url}/api/v2/{path}")
    assert answer.ok, f"{path}: {answer.status} {answer.text()[:300]}"
    return answer.json()


def wait_for(condition, what: str, timeout_s: float = 120):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(2)
    raise TimeoutError(f"{what} not within {timeout_s} s")


def dag_runs(page, launcher) -> list[dict]:
    return api(page, launcher, f"dags/{DAG_ID}/dagRuns")["dag_runs"]


def open_trigger_form(page, launcher):
    page.goto(f"{launcher.base_url}/dags/{DAG_ID}")
    page.get_by_role("button", name="Trigger").first.click()
    form = page.get_by_role("dialog")
    form.get_by_text("Run Parameters").wait_for()
    return form


def set_number(form, name: str, value) -> None:
    field = form.locator(f"input[name=element_{name}]")
    field.click()
    field.press("Control+a")
    field.press_sequentially(str(value))
    field.press("Tab")


def set_switch(form, name: str, on: bool) -> None:
    if form.locator(f"input[name=element_{name}]").is_checked() != on:
        form.locator(f"[id='switch:element_{name}']").click()
    assert form.locator(f"input[name=element_{name}]").is_checked() == on


def field_label(form, title: str):
    return form.locator("label[data-part=label]", has_text=re.compile(rf"^{re.escape(title)}\s*\*?$"))


def submit(page, form) -> str:
    """Press the form's Trigger button; returns the new run's id (the UI opens the run's page)."""
    form.get_by_role("button", name="Trigger").click()
    page.wait_for_url(re.compile(r".*/runs/[^/]+/?$"))
    return unquote(re.search(r"/runs/([^/]+)/?$", page.url)[1])


def wait_for_run(page, launcher, run_id: str, timeout_s: float = RUN_TIMEOUT_S) -> str:
    def finished():
        state = api(page, launcher, f"dags/{DAG_ID}/dagRuns/{quote(run_id, safe='')}")["state"]
        return state if state in ("success", "failed") else None
    return wait_for(finished, f"run {run_id}", timeout_s)


def task_states(page, launcher, run_id: str) -> dict[str, str]:
    instances = api(page, launcher, f"dags/{DAG_ID}/dagRuns/{quote(run_id, safe='')}/taskInstances")
    return {ti["task_id"]: ti["state"] for ti in instances["task_instances"]}


def open_task_log(page, launcher, run_id: str, task_id: str, expected_text: str):
    """The task's page with its log tab; waits until ``expected_text`` shows in the log."""
    page.goto(f"{launcher.base_url}/dags/{DAG_ID}/runs/{run_id}/tasks/{task_id}")
    page.get_by_text(expected_text).first.wait_for()
    return page


def test_startup_lines_say_how_to_log_in(launcher, page):
    text = launcher.startup_text()
    assert f"log in as       admin / {launcher.password}  (stored in {launcher.password_file})" in text
    assert launcher.password_file.is_file() and launcher.password in launcher.password_file.read_text()
    assert page.url == f"{launcher.base_url}/"  # the `page` fixture logged in with them


def test_nothing_runs_until_a_person_triggers(launcher, page):
    dag = wait_for(lambda: page.request.get(f"{launcher.base_url}/api/v2/dags/{DAG_ID}").ok
                   and api(page, launcher, f"dags/{DAG_ID}"), "the DAG to be parsed")
    assert dag["is_paused"] is False and dag["next_dagrun_run_after"] is None
    assert dag["description"].startswith("Fruit photos -> MobileNetV2 features")
    time.sleep(10)  # a scheduler that meant to catch up a nightly interval would have by now
    assert dag_runs(page, launcher) == []


def test_dry_run_from_the_form_shows_its_plan_in_the_log(launcher, page):
    form = open_trigger_form(page, launcher)
    assert field_label(form, "Budget (EUR)").locator("[aria-hidden=true]").count() == 1  # a value: required
    for switch in ("Dry run", "Use Spot for core nodes", "Full reprocess", "Publish"):
        assert field_label(form, switch).locator("[aria-hidden=true]").count() == 0, switch
    assert "1 to 1280" in form.inner_text() and "no s3://, no bucket name" in form.inner_text()
    set_number(form, "budget_eur", -5)
    assert "This field is required" not in form.inner_text()
    set_number(form, "budget_eur", 10)
    set_switch(form, "dry_run", True)
    page.set_viewport_size({"width": 1400, "height": 2600})  # the whole form in one picture
    form.screenshot(path=SCREENSHOTS / "trigger_form.png")
    page.set_viewport_size({"width": 1400, "height": 1000})

    run_id = submit(page, form)
    assert wait_for_run(page, launcher, run_id) == "success"
    found = uploaded_objects(launcher)
    states = task_states(page, launcher, run_id)
    assert states["should_start_cluster"] == "success" and states["create_cluster"] == "skipped"

    open_task_log(page, launcher, run_id, "plan_inputs", "Input plan")
    assert re.search(rf"selected\s+{found} \(this run\)", page.inner_text("body"))
    open_task_log(page, launcher, run_id, "estimate_cost", "Cost estimate:")
    assert re.search(rf"images\s+{found}\b", page.inner_text("body"))
    page.screenshot(path=SCREENSHOTS / "dry_run_cost_log.png")
    open_task_log(page, launcher, run_id, "should_start_cluster", "DRY RUN: would process")
    assert f"DRY RUN: would process {found} images" in page.inner_text("body")
    page.screenshot(path=SCREENSHOTS / "dry_run_log.png")
    assert "***" not in page.inner_text("body")  # the fake credentials mask nothing else
    assert [run["run_type"] for run in dag_runs(page, launcher)] == ["manual"]


def test_real_run_without_publish_links_its_reports_and_summarizes_validation(launcher, page):
    form = open_trigger_form(page, launcher)
    set_number(form, "max_images", 6)
    set_number(form, "k", 2)
    set_number(form, "min_explained_variance", 0.01)
    set_switch(form, "publish", False)
    run_id = submit(page, form)
    assert wait_for_run(page, launcher, run_id) == "success"
    states = task_states(page, launcher, run_id)
    assert states["validate"] == "success" and states["publish"] == "skipped"
    assert states["terminate_cluster"] == "success"

    open_task_log(page, launcher, run_id, "validate", "Validation of run")
    log_text = page.inner_text("body")
    assert re.search(r"Validation of run \S+: PASSED", log_text)
    assert re.search(r"explained variance\s+\d+\.\d% with k=2", log_text)
    page.screenshot(path=SCREENSHOTS / "validation_summary.png")

    link = page.get_by_role("link", name="Run reports and plots")
    url = link.get_attribute("href")
    assert url.startswith(launcher.s3_browser_url) and "/runs/" in url
    page.goto(url)
    assert "validation.json" in page.inner_text("body") and "plots/" in page.inner_text("body")
    page.screenshot(path=SCREENSHOTS / "run_folder.png")
    latest = page.request.get(f"{launcher.s3_browser_url}/fruits-demo/fruits/features/latest.json")
    assert latest.status == 404  # publish was off: nothing was published

    open_task_log(page, launcher, run_id, "publish", "publish is off for this run")
    page.goto(f"{launcher.base_url}/dags/{DAG_ID}/runs/{run_id}")
    page.get_by_role("button", name="Show Graph").click()
    page.wait_for_timeout(3000)  # the graph lays itself out
    page.screenshot(path=SCREENSHOTS / "graph.png")
