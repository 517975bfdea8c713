"""Names people read for the codes the system stores: statuses, procedures, channels, roles, events."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l

from app import procedures
from app.domain.calendar import LOCAL_TZ

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


class _ProcedureTitles(Mapping[str, Any]):
    """{key: translated title} of the registered procedures (app.procedures), read when asked."""

    def __getitem__(self, key: str) -> Any:
        try:
            return _l(procedures.get(key).title)
        except procedures.UnknownProcedure:
            raise KeyError(key) from None

    def __iter__(self) -> Iterator[str]:
        return iter(procedures.keys())

    def __len__(self) -> int:
        return len(procedures.keys())


PROCEDURES: Mapping[str, Any] = _ProcedureTitles()
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
MEASURES = {
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
    "civil.birth.total": _l("Khai sinh"),
    "civil.birth.male": _l("Khai sinh — nam"),
    "civil.birth.female": _l("Khai sinh — nữ"),
    "civil.birth.kinh": _l("Khai sinh — dân tộc Kinh"),
    "civil.birth.other_ethnicity": _l("Khai sinh — dân tộc khác"),
    "civil.birth.on_time": _l("Khai sinh đúng hạn"),
    "civil.birth.late": _l("Khai sinh quá hạn"),
    "civil.death.total": _l("Khai tử"),
    "civil.death.male": _l("Khai tử — nam"),
    "civil.death.female": _l("Khai tử — nữ"),
    "civil.death.age_groups.under_1": _l("Khai tử — dưới 1 tuổi"),
    "civil.death.age_groups.1_to_4": _l("Khai tử — từ 1 đến dưới 5 tuổi"),
    "civil.death.age_groups.5_and_over": _l("Khai tử — từ 5 tuổi trở lên"),
    "civil.death.age_groups.unknown": _l("Khai tử — không rõ tuổi"),
    "civil.death.on_time": _l("Khai tử đúng hạn"),
    "civil.death.late": _l("Khai tử quá hạn"),
    "civil.marriage.total": _l("Kết hôn"),
    "civil.marriage.first_marriages": _l("Kết hôn lần đầu"),
}
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
OPERATIONS = {
    "registry/lookup_parties": _l("Tra cứu CSDL quốc gia về dân cư"),
    "registry/register_birth": _l("Cấp số định danh cá nhân"),
    "registry/register_marriage": _l("Cập nhật tình trạng hôn nhân"),
    "registry/register_death": _l("Cập nhật thông tin người chết"),
    "rules/evaluate": _l("Kiểm tra điều kiện đăng ký"),
    "dossier/accept": _l("Tiếp nhận, tính hạn và lệ phí"),
    "documents/issue": _l("Cấp giấy tờ"),
    "register/enter": _l("Ghi sổ hộ tịch"),
    "register/sign": _l("Ký Sổ hộ tịch"),
    "register/void": _l("Hủy việc ghi sổ"),
    "documents/sign": _l("Ký, cấp giấy tờ"),
    "registry/revoke_birth": _l("Hủy cập nhật CSDL dân cư (khai sinh)"),
    "registry/revoke_marriage": _l("Hủy cập nhật CSDL dân cư (kết hôn)"),
    "registry/revoke_death": _l("Hủy cập nhật CSDL dân cư (khai tử)"),
    "mail/status": _l("Gửi thư báo tình trạng hồ sơ"),
    "timer": _l("Hẹn giờ của quy trình"),
}
PARTIES = {
    "mother": _l("Mẹ"),
    "father": _l("Cha"),
    "requester": _l("Người yêu cầu"),
    "bride": _l("Bên nữ"),
    "groom": _l("Bên nam"),
    "deceased": _l("Người chết"),
}
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
    return moment.astimezone(LOCAL_TZ).strftime("%d/%m/%Y %H:%M")


def local_date(value: datetime | str | None) -> str:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment is None:
        return ""
    if moment.tzinfo is not None:
        moment = moment.astimezone(LOCAL_TZ)
    return moment.strftime("%d/%m/%Y")


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
