from app.domain.findings import Finding, blocking, routing


def test_to_dict_and_filters() -> None:
    block = Finding("KS-02", "block", "Thiếu ngày sinh", "child.birth_date")
    flag = Finding("KS-03", "flag", "Quá hạn")
    route = Finding("KS-13", "route", "Yếu tố nước ngoài", "child.nationality")
    assert block.to_dict() == {
        "rule": "KS-02",
        "severity": "block",
        "message": "Thiếu ngày sinh",
        "field": "child.birth_date",
    }
    assert flag.to_dict()["field"] is None
    assert blocking([block, flag, route]) == [block]
    assert routing([block, flag, route]) == [route]
