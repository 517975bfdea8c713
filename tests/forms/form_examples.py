"""Valid submission and task payloads shaped like api.md's examples, shared by the form tests."""

from __future__ import annotations

import copy
from typing import Any

BIRTH: dict[str, Any] = {
    "requester": {
        "full_name": "Nguyễn Văn An",
        "personal_id": "001093012345",
        "relationship": "father",
        "phone": "0912 345 678",
        "email": "an.nguyen@example.vn",
    },
    "copies": 2,
    "child": {
        "full_name": "Nguyễn Minh Khang",
        "birth_date": "2025-03-15",
        "birth_date_in_words": "Ngày mười lăm, tháng ba, năm hai nghìn không trăm hai mươi lăm",
        "sex": "male",
        "ethnicity": "Kinh",
        "nationality": "Việt Nam",
        "birth_place": "Bệnh viện Phụ sản Hà Nội, số 929 đường La Thành, phường Giảng Võ, thành phố Hà Nội",
        "home_town": "xã Hải Hậu, tỉnh Ninh Bình",
    },
    "mother": {"personal_id": "001195012345"},
    "father": {
        "full_name": "Nguyễn Văn An",
        "birth_year": 1993,
        "ethnicity": "Kinh",
        "nationality": "Việt Nam",
        "residence": "Số 5 phố Hàng Bạc, phường Hoàn Kiếm, thành phố Hà Nội",
    },
    "parents_marriage": {
        "number": "12",
        "book": "01/2020",
        "date": "2020-05-02",
        "place": "UBND phường Hàng Bạc",
    },
    "birth_certificate": {
        "number": "0345/GCS",
        "issuer": "Bệnh viện Phụ sản Hà Nội",
        "issued_on": "2025-03-16",
    },
    "authorization_attached": False,
}

MARRIAGE: dict[str, Any] = {
    "requester": {"full_name": "Trần Thị Bình", "personal_id": "001198005678", "relationship": "bride"},
    "copies": 1,
    "bride": {
        "personal_id": "001198005678",
        "full_name": "Trần Thị Bình",
        "birth_date": "1998-07-20",
        "ethnicity": "Tày",
        "nationality": "Việt Nam",
        "residence": "Phường Ba Đình, thành phố Hà Nội",
        "marriage_count": 1,
    },
    "groom": {"personal_id": "001096004321"},
}

DEATH: dict[str, Any] = {
    "requester": {"full_name": "Lê Thị Hoa", "personal_id": "001172001234", "relationship": "spouse"},
    "copies": 1,
    "deceased": {
        "full_name": "Phạm Văn Cường",
        "sex": "male",
        "birth_year": 1950,
        "ethnicity": "Mường",
        "nationality": "Việt Nam",
        "last_residence": "Phường Hoàn Kiếm, thành phố Hà Nội",
    },
    "death": {"at": "2025-03-01T14:30:00+07:00", "place": "Bệnh viện Bạch Mai", "cause": "Suy tim"},
    "death_notice": {
        "number": "123/GBT",
        "issuer_type": "health_facility",
        "issuer": "Bệnh viện Bạch Mai",
        "issued_on": "2025-03-01",
    },
}

SUBMISSIONS: dict[str, dict[str, Any]] = {
    "birth_registration": BIRTH,
    "marriage_registration": MARRIAGE,
    "death_registration": DEATH,
}

TASKS: dict[str, dict[str, Any]] = {
    "reception_check": {
        "decision": "supplement",
        "missing": ["Giấy chứng sinh"],
        "note": "Bổ sung trong ngày",
    },
    "officer_examine": {
        "decision": "refuse",
        "reasons": ["Người yêu cầu không có quyền đăng ký"],
        "note": "",
    },
    "chairman_sign": {"decision": "sign", "signer_title": "pho_chu_tich", "note": "KT. Chủ tịch"},
    "marriage_handover": {"bride_present": True, "groom_present": True, "voluntary_confirmed": True},
    "return_result": {"delivered_via": "electronic"},
    "verification_overdue": {"decision": "resend", "note": "Đã gọi điện đôn đốc"},
}

PROCEDURE_TASKS: dict[str, list[str]] = {
    "birth_registration": ["reception_check", "officer_examine", "chairman_sign", "return_result"],
    "marriage_registration": [
        "reception_check",
        "officer_examine",
        "chairman_sign",
        "marriage_handover",
        "return_result",
        "verification_overdue",
    ],
    "death_registration": ["reception_check", "officer_examine", "chairman_sign", "return_result"],
}


def sample(procedure_key: str) -> dict[str, Any]:
    """A fresh deep copy of the procedure's valid submission, safe to modify in a test."""
    return copy.deepcopy(SUBMISSIONS[procedure_key])
