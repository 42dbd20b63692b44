"""Locust users for bench/loadtest.py: members who write and read their diary, secretaries who review.

Not meant to be run alone: bench/loadtest.py builds the database, starts gunicorn, runs locust with
this file and checks every write afterwards. It passes, through the environment:

    LOADTEST_ACCOUNTS  a JSON file: [{"username", "password", "role": "member"|"secretary", "branch_id",
                       "cookies": [the cookies of a login made before the run], or absent}]
    LOADTEST_WRITES    where to write the JSON list of every write that succeeded, when the run stops

Each simulated person is logged in once, like a browser (GET the form, POST it with its CSRF token,
keep the session cookie): by bench/loadtest.py before the run, or here when no cookie is given. Then
they work with a pause of 1–3 s between actions. Every form is fetched first
and posted with the token it carries. A write counts only when the app says it succeeded (the page
it redirects to shows the saved entry or the success message); anything else is a failure.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import secrets
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from locust import HttpUser, between, events, task
from locust.exception import StopUser

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import csrf_token  # noqa: E402

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
COMMITMENT = re.compile(r'name="commitment_ids"[^>]*value="(\d+)"|value="(\d+)"[^>]*name="commitment_ids"')
QUEUE_LINK = re.compile(r'href="/units/(\d+)/review/(\d+)/(\d+)/(\d+)#entry-(\d+)"')
REVIEWABLE = re.compile(r'action="/review/entries/(\d+)/reviewed"')
SAVED_ENTRY = re.compile(r"/diary/entries/(\d+)\?saved=1")

ACTIONS = [
    ("Văn phòng Sở", "Tắt điện, điều hòa, máy tính của phòng khi ra về; nhắc các bạn cùng làm."),
    ("Phòng Tổ chức cán bộ", "Hướng dẫn 2 đồng nghiệp dùng chữ ký số trên văn bản điện tử."),
    ("Văn phòng Sở", "Số hóa 46 văn bản đến trong tháng, gắn đúng hồ sơ công việc."),
    ("Phòng họp chi đoàn", "Đọc và chia sẻ câu chuyện về Bác trong buổi sinh hoạt chi đoàn."),
    ("Hội trường Sở", "Tham gia hiến máu tình nguyện, vận động thêm 2 bạn cùng đi."),
]
SEARCHES = ["tiet kiem", "chu ky so", "Bác", "van ban", "hien mau", "sinh hoat chi doan"]
COMMENTS = [
    "Việc làm cụ thể, có kết quả đo được. Tiếp tục phát huy.",
    "Nên ghi rõ số lượng và đính kèm ảnh minh chứng.",
    "Tốt. Chia sẻ cách làm này với cả chi đoàn.",
]

# The run's shared state: the accounts not yet taken, and every write that succeeded.
_accounts: dict[str, list[dict]] = {"member": [], "secretary": []}
WRITES: dict[str, list] = {"entries": [], "evidence": [], "comments": [], "reviewed": []}


@events.init.add_listener
def _load_accounts(environment, **_kwargs) -> None:
    with open(os.environ["LOADTEST_ACCOUNTS"], encoding="utf-8") as handle:
        for account in json.load(handle):
            _accounts[account["role"]].append(account)


@events.test_stop.add_listener
def _save_writes(environment, **_kwargs) -> None:
    with open(os.environ["LOADTEST_WRITES"], "w", encoding="utf-8") as handle:
        json.dump(WRITES, handle, ensure_ascii=False)


def _today() -> datetime:
    return datetime.now(VIETNAM)


def _marker() -> str:
    """A code that makes each write findable in the database afterwards."""
    return f"LT-{secrets.token_hex(6)}"


class _Person(HttpUser):
    abstract = True
    wait_time = between(1, 3)
    role = ""

    def on_start(self) -> None:
        if not _accounts[self.role]:
            raise StopUser()
        self.account = _accounts[self.role].pop()
        self.client.headers["User-Agent"] = "sonhatky-loadtest"
        if self.account.get("cookies"):
            # Logged in before the run (bench/loadtest.py): the browser's cookie, reused.
            for cookie in self.account["cookies"]:
                self.client.cookies.set(
                    cookie["name"], cookie["value"], domain=cookie["domain"], path=cookie["path"]
                )
            return
        page = self.get_page("/login", "GET /login")
        if page is None:
            raise StopUser()
        token = csrf_token(page)
        with self.client.post(
            "/login",
            name="POST /login",
            catch_response=True,
            allow_redirects=False,
            data={
                "csrf_token": token,
                "login": self.account["username"],
                "password": self.account["password"],
            },
        ) as response:
            if response.status_code != 302:
                response.failure(f"login refused for {self.account['username']}: {response.status_code}")
                raise StopUser()

    def get_page(self, url: str, name: str) -> str | None:
        """A page as a browser reads it; a failure unless 200 and HTML."""
        with self.client.get(url, name=name, catch_response=True) as response:
            if response.status_code != 200 or "<html" not in response.text:
                response.failure(f"{response.status_code} on {url}")
                return None
            return response.text


class Member(_Person):
    """A đoàn viên: writes entries (some with a photo), reads the month, searches, opens an entry."""

    role = "member"

    def on_start(self) -> None:
        super().on_start()
        self.written: list[int] = []

    @task(3)
    def write_entry(self) -> None:
        unit = self.account["branch_id"]
        form = self.get_page(f"/diary/entries/new?unit_id={unit}", "GET /diary/entries/new")
        if form is None:
            return
        commitments = [a or b for a, b in COMMITMENT.findall(form)]
        place, action = random.choice(ACTIONS)
        marker = _marker()
        data = {
            "csrf_token": csrf_token(form),
            "deed_date": _today().strftime("%d/%m/%Y"),
            "place": place,
            "action": f"{action} (mã kiểm tra {marker})",
            "result": "Hoàn thành, cả phòng cùng làm.",
            "lesson": "Việc nhỏ làm đều thành thói quen.",
            "commitment_ids": random.sample(commitments, min(len(commitments), random.choice((1, 2)))),
            "entry_id": "",
            "lock_version": "",
            "submit": "Gửi bài",
        }
        files = None
        photo = None
        if random.random() < 0.25:  # one entry in four has a photo as evidence
            photo = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + secrets.token_bytes(20_000)
            files = {"evidence": (f"anh-{marker}.jpg", photo, "image/jpeg")}
        with self.client.post(
            f"/diary/entries/new?unit_id={unit}",
            name="POST /diary/entries/new",
            data=data,
            files=files,
            catch_response=True,
        ) as response:
            saved = SAVED_ENTRY.search(response.url or "")
            if response.status_code != 200 or saved is None or marker not in response.text:
                response.failure(f"entry not saved: {response.status_code} {response.url}")
                return
        entry_id = int(saved.group(1))
        self.written.append(entry_id)
        WRITES["entries"].append({"id": entry_id, "marker": marker, "user": self.account["username"]})
        if photo is not None:
            WRITES["evidence"].append({"entry_id": entry_id, "sha256": hashlib.sha256(photo).hexdigest()})

    @task(3)
    def read_month(self) -> None:
        today = _today()
        self.get_page(f"/diary/{today.year}/{today.month}", "GET /diary/[year]/[month]")

    @task(2)
    def search(self) -> None:
        self.get_page(f"/diary/search?q={random.choice(SEARCHES)}", "GET /diary/search")

    @task(1)
    def read_entry(self) -> None:
        if self.written:
            self.get_page(f"/diary/entries/{random.choice(self.written)}", "GET /diary/entries/[id]")


class Secretary(_Person):
    """A bí thư: opens the review queue, reviews a member's month (a comment, "Đã xem")."""

    role = "secretary"
    fixed_count = 5

    @task(2)
    def queue(self) -> None:
        self.get_page(f"/units/{self.account['branch_id']}/review", "GET /units/[id]/review")

    @task(5)
    def review_one(self) -> None:
        queue = self.get_page(f"/units/{self.account['branch_id']}/review", "GET /units/[id]/review")
        if queue is None:
            return
        links = QUEUE_LINK.findall(queue)
        if not links:
            return
        unit, member, year, month, entry = random.choice(links[:30])
        month_url = f"/units/{unit}/review/{member}/{year}/{month}"
        page = self.get_page(month_url, "GET /units/[id]/review/[member]/[y]/[m]")
        if page is None or entry not in REVIEWABLE.findall(page):
            return
        token = csrf_token(page)
        marker = _marker()
        with self.client.post(
            f"/review/entries/{entry}/comment",
            name="POST /review/entries/[id]/comment",
            catch_response=True,
            data={"csrf_token": token, "body": f"{random.choice(COMMENTS)} ({marker})", "back": ""},
        ) as response:
            if response.status_code != 200 or "Đã gửi nhận xét." not in response.text:
                response.failure(f"comment not saved: {response.status_code}")
                return
        WRITES["comments"].append({"entry_id": int(entry), "marker": marker})
        with self.client.post(
            f"/review/entries/{entry}/reviewed",
            name="POST /review/entries/[id]/reviewed",
            catch_response=True,
            data={"csrf_token": token},
        ) as response:
            if response.status_code != 200 or "Đã đánh dấu đã xem" not in response.text:
                response.failure(f"not marked reviewed: {response.status_code}")
                return
        WRITES["reviewed"].append({"entry_id": int(entry), "by": self.account["username"]})
