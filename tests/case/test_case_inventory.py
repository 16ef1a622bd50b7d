"""inventory.csv -> host, ip, role, os; bad addresses and ambiguous owners are CaseErrors."""

from __future__ import annotations

import pandas as pd
import pytest

from kit import CaseError
from kit.case.inventory import read_inventory


def write(tmp_path, text: str):
    path = tmp_path / "inventory.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_rows_typed_and_normalised(tmp_path):
    inv = read_inventory(write(tmp_path, (
        "# site inventory\nHost,IP,Role,OS\nnbu-master,10.0.0.5,Master,Linux\n"
        "nbu-master,10.0.1.5,master,linux\nweb01, 2001:DB8:0:0::7 ,client,\n"
        "\nwin01,10.0.0.9,,Windows\n")))
    assert list(inv.columns) == ["host", "ip", "role", "os"]
    assert inv["host"].tolist() == ["nbu-master", "nbu-master", "web01", "win01"]
    assert inv["ip"].tolist() == ["10.0.0.5", "10.0.1.5", "2001:db8::7", "10.0.0.9"]
    assert inv["role"].tolist()[:3] == ["master", "master", "client"]
    assert pd.isna(inv["role"].iloc[3]) and pd.isna(inv["os"].iloc[2])
    assert isinstance(inv["role"].dtype, pd.CategoricalDtype)
    assert str(inv["host"].dtype) == "string" and str(inv["os"].dtype) == "string"


def test_bad_ip_names_file_line_and_fix(tmp_path):
    path = write(tmp_path, "host,ip,role,os\na,10.0.0.1,client,linux\nb,10.0.0.300,client,linux\n")
    with pytest.raises(CaseError) as err:
        read_inventory(path)
    assert f"{path}:3:" in str(err.value)
    assert "'10.0.0.300' is not an IP address" in str(err.value)
    assert "one row for each" in str(err.value)


def test_one_ip_two_hosts(tmp_path):
    path = write(tmp_path, "host,ip\na,10.0.0.1\nb,10.0.0.1\n")
    expected = r":3: 10\.0\.0\.1 is given to 'b' here and to 'a' on line 2"
    with pytest.raises(CaseError, match=expected):
        read_inventory(path)


def test_missing_header_column(tmp_path):
    with pytest.raises(CaseError, match=r":1: the header lacks ip"):
        read_inventory(write(tmp_path, "host,address\na,10.0.0.1\n"))


def test_empty_host(tmp_path):
    with pytest.raises(CaseError, match=r":2: the host name is empty"):
        read_inventory(write(tmp_path, "host,ip\n,10.0.0.1\n"))


def test_extra_columns_warn(tmp_path):
    with pytest.warns(UserWarning, match=r"columns owner ignored"):
        inv = read_inventory(write(tmp_path, "host,ip,owner\na,10.0.0.1,bob\n"))
    assert inv["ip"].tolist() == ["10.0.0.1"]


def test_header_only_and_unknown_role(tmp_path):
    assert read_inventory(write(tmp_path, "host,ip,role,os\n")).empty
    inv = read_inventory(write(tmp_path, "host,ip,role\na,10.0.0.1,proxy\n"))
    assert inv["role"].tolist() == ["proxy"]
    assert list(inv["role"].cat.categories) == ["master", "media", "client", "other", "proxy"]


def test_a_quoted_newline_is_part_of_its_field_not_a_new_row(tmp_path):
    """Issue 15, point 20: spreadsheets quote a cell holding a line break."""
    path = tmp_path / "inventory.csv"
    path.write_text('# hosts\nhost,ip,role,os\n"db01\n",10.0.0.1,client,"linux\n(RHEL 9)"\n'
                    '# a comment\nweb01,"10.0.0.2",media,\n"bad\nrow",nope,,\n')
    with pytest.raises(CaseError, match=r"inventory.csv:8: 'nope' is not an IP address"):
        read_inventory(path)
    path.write_text('host,ip,role,os\n"db01\n",10.0.0.1,client,"linux\n# not a comment"\n'
                    "web01,10.0.0.2,media,\n")
    frame = read_inventory(path)
    assert frame.host.tolist() == ["db01", "web01"]
    assert frame.ip.tolist() == ["10.0.0.1", "10.0.0.2"]
    assert frame.os.iloc[0] == "linux\n# not a comment" and frame.os.isna().iloc[1]


@pytest.mark.parametrize(("content", "hosts"), [
    ('host,ip,role,os\nd"b01,10.0.0.1,client,linux\n', ['d"b01']),  # a quote inside a cell
    ("host,ip,role,os\rdb01,10.0.0.1,client,linux\r", ["db01"]),  # old Mac line ends
    ('host,ip,role,os\n"db01",10.0.0.1,"client"x,linux\n', ["db01"]),
])
def test_stray_quotes_and_carriage_returns_read_cleanly(tmp_path, content, hosts):
    """Found by the fuzz suite (tests/fuzz): an IndexError and a raw csv.Error before."""
    path = tmp_path / "inventory.csv"
    path.write_bytes(content.encode())
    assert read_inventory(path).host.tolist() == hosts


def test_a_nul_byte_stays_in_its_cell(tmp_path):
    path = tmp_path / "inventory.csv"
    path.write_bytes(b"host,ip,role,os\ndb01,10.0.0.1,client,linux\nweb\x0001,10.0.0.2,,\n")
    frame = read_inventory(path)
    assert frame.host.tolist() == ["db01", "web\x0001"]
    assert frame.ip.tolist() == ["10.0.0.1", "10.0.0.2"]


def test_an_over_long_cell_is_a_case_error_naming_the_line(tmp_path):
    path = tmp_path / "inventory.csv"
    path.write_text("host,ip,role,os\ndb01,10.0.0.1,client,linux\n" + "x" * 200_000 + ",1\n")
    with pytest.raises(CaseError, match=r"inventory.csv:3: not CSV \(field larger than field "
                                        r"limit"):
        read_inventory(path)
