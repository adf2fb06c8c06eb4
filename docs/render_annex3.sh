#!/usr/bin/env bash
# Render an Annex 3 form (附件3 国家、省级中试平台补助资金申请表) to docs/img/annex3.png through
# LibreOffice headless: xlsx → PDF (soffice --convert-to pdf) → PNG (pdftoppm).
#
#   docs/render_annex3.sh                 # a demo claim's prefilled form, from a throwaway ledger
#   docs/render_annex3.sh FORM.xlsx [OUT] # any generated form (first sheet); OUT defaults to docs/img/annex3.png
#
# Needs: soffice (Debian: libreoffice-calc), pdftoppm and pdfinfo (poppler-utils), a CJK font
# (fonts-noto-cjk). Fails (and leaves OUT alone) unless every sheet prints on one A4 portrait page.
# The form names the faces 仿宋 (body) and 宋体 (title) with the GB2312 charset; where those faces are
# missing, a private fontconfig file maps them to Noto Serif CJK SC for this rendering only.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
for tool in soffice pdftoppm; do
  command -v "$tool" >/dev/null || { echo "render_annex3: $tool is not installed" >&2; exit 3; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
out=${2:-docs/img/annex3.png}

if [ $# -ge 1 ]; then
  "$PY" -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).getinfo("xl/workbook.xml")' "$1" 2>/dev/null || {
    echo "render_annex3: $1 is not an xlsx workbook" >&2; exit 2; }
  cp "$1" "$work/annex3.xlsx"
else
  DATABASE_URL="sqlite:///$work/demo.db" "$PY" - "$work/annex3.xlsx" <<'PY'
"""A throwaway ledger with one reviewed claim, and its Annex 3 form."""
import sys
from datetime import date

from ledger import services as S
from ledger.db import ensure_schema, make_engine, session_factory
from reports import annex3

engine = make_engine()
ensure_schema(engine)
factory = session_factory(engine)
with factory.begin() as s:
    S.sync_reference_data(s)
    S.create_platform(s, code="DEMO", name="嘉兴市新材料中试平台", jurisdiction="330402",
                      operator="嘉兴某新材料科技有限公司", head_person="张三", head_phone="0573-82000000",
                      contact_person="李四", contact_mobile="13800000000")
    S.add_platform_event(s, "DEMO", kind="recognition", on=date(2026, 2, 10), level="provincial",
                         document_number="浙经信〔2026〕8号")
    number = S.file_claim(s, platform_code="DEMO", program="equipment-subsidy", application_date=date(2026, 3, 2),
                          invoices=[S.InvoiceIn("91330400A", "00010001", date(2023, 5, 10), 1_000_000_00, 130_000_00),
                                    S.InvoiceIn("91330400A", "00010002", date(2024, 6, 1), 700_000_00, 91_000_00),
                                    S.InvoiceIn("91330400B", "00020001", date(2025, 7, 1), 300_000_00, 39_000_00)],
                          platform_document="浙经信〔2026〕8号 关于公布2026年省级中试平台名单的通知",
                          actor="clerk")["claim"]
    S.review(s, claim_number=number, department="economic", approve=True, opinion="材料齐全，情况属实，同意上报。",
             on=date(2026, 3, 4), actor="district-econ")
    S.review(s, claim_number=number, department="finance", approve=True, opinion="同意。",
             on=date(2026, 3, 5), actor="district-fin")
with factory() as s:
    annex3.write_claim(s, number, sys.argv[1])
PY
fi

cat > "$work/fonts.conf" <<'XML'
<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>
  <alias binding="same"><family>仿宋</family><accept><family>Noto Serif CJK SC</family></accept></alias>
  <alias binding="same"><family>仿宋_GB2312</family><accept><family>Noto Serif CJK SC</family></accept></alias>
  <alias binding="same"><family>FangSong</family><accept><family>Noto Serif CJK SC</family></accept></alias>
  <alias binding="same"><family>宋体</family><accept><family>Noto Serif CJK SC</family></accept></alias>
  <alias binding="same"><family>SimSun</family><accept><family>Noto Serif CJK SC</family></accept></alias>
</fontconfig>
XML

FONTCONFIG_FILE="$work/fonts.conf" soffice --headless --norestore \
  "-env:UserInstallation=file://$work/profile" --convert-to pdf --outdir "$work" "$work/annex3.xlsx" >/dev/null
[ -s "$work/annex3.pdf" ] || { echo "render_annex3: LibreOffice wrote no PDF" >&2; exit 4; }
# The form must print on one A4 portrait page (each sheet of a batch on one page of its own).
if command -v pdfinfo >/dev/null; then
  info=$(pdfinfo "$work/annex3.pdf")
  grep -Eq '^Page size: +595(\.[0-9]+)? x 841(\.[0-9]+)? pts' <<<"$info" || {
    echo "render_annex3: not A4 portrait: $(grep '^Page size' <<<"$info")" >&2; exit 5; }
  sheets=$("$PY" -c 'import sys, zipfile; print(zipfile.ZipFile(sys.argv[1]).read("xl/workbook.xml").count(b"<sheet "))' \
    "$work/annex3.xlsx")
  pages=$(sed -n 's/^Pages: *//p' <<<"$info")
  [ "$pages" = "$sheets" ] || {
    echo "render_annex3: $sheets sheet(s) printed on $pages page(s); each form must fit one page" >&2; exit 5; }
fi
mkdir -p "$(dirname "$out")"
pdftoppm -png -r 100 -f 1 -l 1 -singlefile "$work/annex3.pdf" "$work/page"
mv "$work/page.png" "$out"
echo "$out"
