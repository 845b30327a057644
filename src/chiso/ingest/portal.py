"""The dossier record that ministries' and provinces' procedure systems sync to the national portal,
mapped onto chiso's dossier event, so an existing system can feed chiso unchanged.

Field names follow the open-source one-stop-shop systems (domain.md): MaHoSo, MaTTHC, DonViXuLy,
KenhThucHien (1 in person, 2 online, 3 postal), NgayTiepNhan, NgayHenTra, NgayKetThucXuLy, NgayTra,
TrangThaiHoSo, TaiLieuNop[] (DuocSoHoa, DuocTaiSuDung, DuocLayTuKhoDMQG), DanhSachLePhi[] (Gia),
DuocThanhToanTrucTuyen (1 national portal, 2 own gateway), DanhSachHoSoBoSung[], DanhSachGiayToKetQua[]
(DuongDanTepTinKetQua), DSKetNoiCSDL[], QuaTrinhXuLy[]. No official public schema was found: the
status codes below are chiso's documented reading, and textual statuses are accepted too.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from chiso.catalogue.events import DossierStatus

PORTAL_KEYS = {"MaHoSo", "MaTTHC", "TrangThaiHoSo"}

STATUS_CODES: dict[str, DossierStatus] = {
    "1": DossierStatus.RECEIVED,  # mới tiếp nhận
    "2": DossierStatus.PROCESSING,  # đang xử lý
    "3": DossierStatus.SUPPLEMENT_REQUESTED,  # yêu cầu bổ sung
    "4": DossierStatus.RESULT_ISSUED,  # đã có kết quả (kết thúc xử lý)
    "5": DossierStatus.RETURNED,  # đã trả kết quả
    "6": DossierStatus.CANCELLED,  # từ chối / dừng xử lý
    "7": DossierStatus.CANCELLED,  # công dân rút hồ sơ
    "tiep_nhan": DossierStatus.RECEIVED,
    "dang_xu_ly": DossierStatus.PROCESSING,
    "bo_sung": DossierStatus.SUPPLEMENT_REQUESTED,
    "co_ket_qua": DossierStatus.RESULT_ISSUED,
    "da_tra": DossierStatus.RETURNED,
    "tu_choi": DossierStatus.CANCELLED,
    "rut_ho_so": DossierStatus.CANCELLED,
}
CHANNELS = {"1": "in_person", "2": "online", "3": "postal"}


def is_portal_record(data: Mapping[str, Any]) -> bool:
    return set(data) >= PORTAL_KEYS


def _date(v: Any) -> datetime | None:
    if v in (None, ""):
        return None
    s = str(v).strip()
    for fmt in ("%Y%m%d%H%M%S", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
        try:
            return datetime.strptime(s, fmt)
        except ValueError:
            continue
    raise ValueError(f"date {s!r} is not in a known form (yyyyMMddHHmmss, dd/MM/yyyy HH:mm:ss, ISO 8601)")


def _flag(v: Any) -> bool:
    return str(v).strip().lower() in ("1", "true", "có", "co", "x")


def portal_to_event(rec: Mapping[str, Any]) -> dict[str, Any]:
    """One portal record → the event for its current status (ValueError naming the field if it cannot)."""
    status_raw = str(rec["TrangThaiHoSo"]).strip().lower()
    status = STATUS_CODES.get(status_raw)
    if status is None:
        raise ValueError(f"TrangThaiHoSo {rec['TrangThaiHoSo']!r} is not a known status")
    channel = CHANNELS.get(str(rec.get("KenhThucHien", "1")).strip())
    if channel is None:
        raise ValueError(f"KenhThucHien {rec.get('KenhThucHien')!r}: expected 1, 2 or 3")
    received = _date(rec.get("NgayTiepNhan")) or _date(rec.get("NgayNopHoSo"))
    finished = _date(rec.get("NgayKetThucXuLy"))
    returned = _date(rec.get("NgayTra"))
    at = (
        {
            DossierStatus.RESULT_ISSUED: finished,
            DossierStatus.RETURNED: returned or finished,
        }.get(status)
        or _date(rec.get("ThoiDiemCapNhat"))
        or received
    )
    if at is None:
        raise ValueError("no date for the status (NgayTiepNhan, NgayKetThucXuLy or NgayTra)")
    docs = list(rec.get("TaiLieuNop") or [])
    fees = list(rec.get("DanhSachLePhi") or [])
    results = list(rec.get("DanhSachGiayToKetQua") or [])
    supplements = list(rec.get("DanhSachHoSoBoSung") or [])
    fee = int(sum(float(f.get("Gia") or 0) for f in fees))
    paid = str(rec.get("DuocThanhToanTrucTuyen", "")).strip() in ("1", "2")
    unit = str(rec.get("MaDonVi") or rec.get("DonViXuLy") or "").strip()
    return {
        "event_id": f"portal:{rec['MaHoSo']}:{status.value}:{at:%Y%m%d%H%M%S}",
        "at": at,
        "source_system": str(rec.get("MaHeThong") or "portal"),
        "dossier_id": str(rec["MaHoSo"]),
        "procedure_code": str(rec["MaTTHC"]),
        "unit": unit,
        "subunit": rec.get("MaDonViCapDuoi"),
        "status": status.value,
        "channel": channel,
        "full_online": _flag(rec.get("LaToanTrinh") or rec.get("MucDo") == "4"),
        "digitised": _flag(rec.get("HoSoCoThanhPhanSoHoa")),
        "result_digitised": any(r.get("DuongDanTepTinKetQua") for r in results),
        "e_result": any(_flag(r.get("CoGiaTriPhapLy", 1)) and r.get("DuongDanTepTinKetQua") for r in results),
        "documents": len(docs),
        "documents_reused": sum(1 for d in docs if _flag(d.get("DuocTaiSuDung")) or _flag(d.get("DuocLayTuKhoDMQG"))),
        "fee": fee,
        "paid_online": paid and fee > 0,
        "received_at": received,
        "due_at": _date(rec.get("NgayHenTra")),
        "supplement_requests": len(supplements),
        "vneid": _flag(rec.get("TaiKhoanDuocXacThucVoiVNeID")),
        "national_db_lookups": len(rec.get("DSKetNoiCSDL") or []),
    }
