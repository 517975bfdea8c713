"""Names people read for the codes the system stores: statuses, procedures, channels, roles, events."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l

from app import procedures
from app.domain.calendar import local_text

STATUSES = {
    "submitted": _l("Chờ tiếp nhận"),
    "supplement_requested": _l("Chờ bổ sung"),
    "receipt_refused": _l("Từ chối tiếp nhận"),
    "processing": _l("Đang giải quyết"),
    "awaiting_verification": _l("Đang xác minh"),
    "awaiting_confirmation": _l("Chờ xác nhận dự thảo"),
    "awaiting_signature": _l("Chờ ký"),
    "awaiting_handover": _l("Chờ trao giấy"),
    "result_ready": _l("Chờ trả kết quả"),
    "completed": _l("Đã trả kết quả"),
    "refused": _l("Từ chối đăng ký"),
    "withdrawn": _l("Đã rút"),
}


class _FromRecords(Mapping[str, Any]):
    """A {code: translated label} table built, when read, from the registered procedures' records (their
    texts are Vietnamese msgids marked with `ui_text`), with this module's own entries."""

    def __init__(self, build: Callable[[], Mapping[str, Any]]) -> None:
        self._build = build
        self._built: tuple[tuple[Any, ...], Mapping[str, Any]] | None = None

    def _table(self) -> Mapping[str, Any]:
        # built again only when a procedure was registered or taken away (pages read these per cell)
        records = procedures.all_procedures()
        if self._built is None or self._built[0] != records:
            self._built = (records, self._build())
        return self._built[1]

    def __getitem__(self, key: str) -> Any:
        value = self._table()[key]
        return _l(value) if isinstance(value, str) else value  # this module's own entries are lazy already

    def __iter__(self) -> Iterator[str]:
        return iter(self._table())

    def __len__(self) -> int:
        return len(self._table())


PROCEDURES: Mapping[str, Any] = _FromRecords(lambda: {p.key: p.title for p in procedures.all_procedures()})
CHANNELS = {
    "counter": _l("Trực tiếp"),
    "online": _l("Trực tuyến"),
    "post": _l("Bưu chính"),
}
ROLES = {
    "reception": _l("Cán bộ tiếp nhận"),
    "officer": _l("Công chức tư pháp – hộ tịch"),
    "chairman": _l("Lãnh đạo UBND"),
    "auditor": _l("Thanh tra, kiểm tra"),
    "analyst": _l("Chuyên viên quy trình"),
    "admin": _l("Quản trị hệ thống"),
    "portal": _l("Cổng Dịch vụ công"),
    "department": _l("Sở Tư pháp"),
}
# the statistics dashboard's numbers (app/services/statistics.py MEASURES and the MoJ figures)
_MEASURES = {
    "received": _l("Tiếp nhận mới"),
    "received_counter": _l("Tiếp nhận trực tiếp"),
    "online_received": _l("Tiếp nhận trực tuyến"),
    "received_post": _l("Tiếp nhận qua bưu chính"),
    "carried_over": _l("Tồn kỳ trước chuyển sang"),
    "resolved": _l("Đã giải quyết"),
    "resolved_early": _l("Giải quyết trước hạn"),
    "resolved_on_time": _l("Giải quyết đúng hạn"),
    "resolved_late": _l("Giải quyết quá hạn"),
    "refused": _l("Từ chối giải quyết"),
    "receipt_refused": _l("Từ chối tiếp nhận"),
    "withdrawn": _l("Rút hồ sơ"),
    "in_progress": _l("Đang giải quyết cuối kỳ"),
    "in_progress_overdue": _l("Đang giải quyết, đã quá hạn"),
    "supplement_requests": _l("Yêu cầu bổ sung"),
    "apologies": _l("Phiếu xin lỗi, hẹn lại"),
    "fee_exempted": _l("Miễn lệ phí"),
    "on_time_rate": _l("Tỷ lệ đúng hạn"),
    "online_rate": _l("Tỷ lệ trực tuyến"),
    "fees_collected": _l("Lệ phí đã thu"),
}
MEASURES: Mapping[str, Any] = _FromRecords(
    lambda: (
        _MEASURES
        | {
            f"civil.{p.key}.{f.key}": f.label
            for p in procedures.all_procedures()
            if p.statistics
            for f in p.statistics.figures
        }
    )
)
SEVERITIES = {
    "block": _l("Chặn"),
    "warn": _l("Cảnh báo"),
    "flag": _l("Lưu ý"),
    "info": _l("Thông tin"),
    "route": _l("Chuyển nơi khác"),
}
EVENTS = {
    "submitted": _l("Nộp hồ sơ"),
    "task_completed": _l("Hoàn thành nhiệm vụ"),
    "external_result": _l("Kết quả từ CSDL dân cư"),
    "internal_result": _l("Hệ thống xử lý"),
    "message": _l("Thông tin từ người yêu cầu"),
    "timer": _l("Đến hạn"),
    "claimed": _l("Nhận việc"),
    "released": _l("Trả lại việc"),
    "migrated": _l("Chuyển phiên bản quy trình"),
}
# what a personal-data read record names (app/web/read_log.py): the view the data was read through
READ_VIEWS = {
    "dossier_page": _l("Trang hồ sơ"),
    "task_page": _l("Trang nhiệm vụ"),
    "supplement_form": _l("Biểu mẫu ghi nhận bổ sung"),
    "attachment": _l("Tệp đính kèm"),
    "document": _l("Giấy tờ đã cấp (PDF)"),
    "history": _l("Lịch sử xử lý (phát lại)"),
    "history_pdf": _l("Báo cáo lịch sử (PDF)"),
    "api.dossier": _l("API: hồ sơ"),
    "api.task": _l("API: nhiệm vụ"),
    "api.document": _l("API: giấy tờ (PDF)"),
    "api.events": _l("API: nhật ký sự kiện"),
    "api.replay": _l("API: phát lại"),
    "api.history": _l("API: gói bằng chứng lịch sử"),
    "inbox": _l("Hộp việc (danh sách có tên người)"),
    "search": _l("Tra cứu hồ sơ (danh sách có tên người)"),
    "counter_person": _l("Tra cứu CSDL dân cư tại quầy"),
    "api.register_book": _l("API: sổ hộ tịch"),
    "api.register_book_pdf": _l("API: sổ hộ tịch (PDF)"),
    "api.registry_person": _l("API: bản ghi CSDL dân cư"),
    "admin_outbox": _l("Hộp thư đi (người nhận, địa chỉ thư)"),
    "admin_message": _l("Thư thông báo đã gửi"),
    "admin_registry": _l("Tra cứu CSDL dân cư mô phỏng (quản trị)"),
}
_OPERATIONS = {
    "registry/lookup_parties": _l("Tra cứu CSDL quốc gia về dân cư"),
    "rules/evaluate": _l("Kiểm tra điều kiện đăng ký"),
    "dossier/accept": _l("Tiếp nhận, tính hạn và lệ phí"),
    "documents/issue": _l("Cấp giấy tờ"),
    "register/enter": _l("Ghi sổ hộ tịch"),
    "register/sign": _l("Ký Sổ hộ tịch"),
    "register/void": _l("Hủy việc ghi sổ"),
    "documents/sign": _l("Ký, cấp giấy tờ"),
    "mail/status": _l("Gửi thư báo tình trạng hồ sơ"),
    "timer": _l("Hẹn giờ của quy trình"),
}
OPERATIONS: Mapping[str, Any] = _FromRecords(
    lambda: (
        _OPERATIONS
        | {
            name: op.label
            for p in procedures.all_procedures()
            for name, op in p.registry_operations.items()
            if op.label
        }
    )
)
PARTIES: Mapping[str, Any] = _FromRecords(
    lambda: {r: t for p in procedures.all_procedures() for r, t in p.parties.items()}
)
SEXES = {"male": _l("Nam"), "female": _l("Nữ")}
MARITAL = {
    "single": _l("Chưa kết hôn"),
    "married": _l("Đã kết hôn"),
    "divorced": _l("Đã ly hôn"),
    "widowed": _l("Góa"),
}


def label(table: Mapping[str, Any], code: Any) -> str:
    """The label of a code, or the code itself when the table does not know it."""
    value = table.get(str(code)) if code is not None else None
    return str(value) if value is not None else ("" if code is None else str(code))


def local_datetime(value: datetime | str | None) -> str:
    """dd/mm/yyyy HH:MM in Hà Nội time (the way officials write it)."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment is None:
        return ""
    return local_text(moment)


def local_date(value: datetime | str | None) -> str:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment is None:
        return ""
    return local_text(moment, with_time=False)


def commune_name(code: Any) -> str:
    """The name of a commune (ward) code: the communes table first, then the `vietnam-provinces` list."""
    if not code:
        return ""
    from app.models import Commune, db

    commune = db.session.get(Commune, str(code))
    if commune is not None:
        return f"{commune.name}, {commune.province_name}"
    try:
        from vietnam_provinces import Ward

        return str(Ward.from_code(int(code)).name)  # type: ignore[arg-type]
    except (ValueError, LookupError, AttributeError):
        return str(code)


def attachment_kind(code: Any) -> str:
    """The Vietnamese name of an attachment kind (forms/common/defs.json "attachment_kind")."""
    from app.services.collaborators import collaborators

    kind = collaborators().forms.schema("common", "defs")["$defs"]["attachment_kind"]
    return str((kind.get("x-enum-labels") or {}).get(code, code or ""))
