"""No patient identifier or clinical value reaches the server's log: in process (every logger, at
DEBUG) and in a real `rashrisk serve --workers 2` process (its whole stderr and stdout)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

from service_data import AUTH, TOKEN, patient

# values that occur nowhere else: none of them may be logged. Two or more decimals, so that no request
# latency the log prints ("41.9 ms", one decimal) can match one of them by chance
SECRET = patient(patient_id="PSEUDO-7Q3X-LOGCHECK", weight_kg=57.37, height_cm=163.71, albumin_g_l=41.93,
                 start_date="2024-11-19")
SECRET["tdm"] = [{"sample_time": "2024-12-03T07:41", "last_dose_time": "2024-12-02T07:38", "dose_mg": 400,
                  "concentration": 1987.63, "unit": "ng/mL"}]
BROKEN = patient(patient_id="PSEUDO-9K2W-REJECTED", age_years=133.37)
FORBIDDEN = ("PSEUDO-7Q3X", "PSEUDO-9K2W", "57.37", "163.71", "41.93", "2024-11-19", "07:41", "07:38", "1987.63",
             "133.37")

REQUESTS = [("/v1/score", {"stage": "tdm", "patient": SECRET}, 200),
            ("/v1/score", {"stage": "start", "patients": [SECRET, patient()]}, 200),
            ("/v1/explain", {"stage": "tdm", "patient": SECRET}, 200),
            ("/v1/report?format=html", {"stage": "tdm", "patient": SECRET}, 200),
            ("/v1/score", {"stage": "start", "patient": BROKEN}, 422),
            ("/v1/report", {"stage": "tdm", "patient": patient(patient_id="PSEUDO-9K2W-NOSAMPLE", tdm=[])}, 422)]


def _leaks(text: str) -> list[str]:
    return [value for value in FORBIDDEN if value in text]


def test_in_process_logs_hold_no_patient_data(client, caplog, capfd):
    with caplog.at_level("DEBUG"):
        for path, body, status in REQUESTS:
            response = client.post(path, json=body, headers=AUTH)
            assert response.status_code == status, (path, response.text)
    assert "PSEUDO-7Q3X-LOGCHECK" in client.post(*REQUESTS[0][:1], json=REQUESTS[0][1], headers=AUTH).text
    logged = caplog.text + "".join(capfd.readouterr())
    assert "POST /v1/score 200" in caplog.text and "POST /v1/score 422" in caplog.text  # the request lines are there
    assert _leaks(logged) == []


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _call(port, path, body=None, token=TOKEN):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method="GET" if body is None else "POST",
                                     headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_a_real_server_with_two_workers_logs_no_patient_data(tmp_path):
    port = _free_port()
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "RASHRISK_API_TOKEN"}
    with open(tmp_path / "server.log", "w", encoding="utf-8") as log:
        server = subprocess.Popen([sys.executable, "-m", "rashrisk.cli.main", "serve", "--port", str(port), "--workers",
                                   "2", "--token-file", str(token_file)], stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if _call(port, "/health")[0] == 200:
                    break
            except OSError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, (tmp_path / "server.log").read_text(encoding="utf-8")
            time.sleep(0.3)
        for path, body, status in REQUESTS:
            code, payload = _call(port, path, body)
            assert code == status, (path, payload[:300])
        assert _call(port, "/v1/models", token="wrong-token-0123456789")[0] == 401
        assert _call(port, "/v1/models")[0] == 200
    finally:
        server.terminate()
        server.wait(timeout=60)
    text = (tmp_path / "server.log").read_text(encoding="utf-8")
    assert "POST /v1/explain 200" in text and "GET /v1/models 401" in text, text
    assert TOKEN not in text and "Traceback" not in text
    assert _leaks(text) == [], text
