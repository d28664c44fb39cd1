"""Reading and describing user CSV files."""

from __future__ import annotations

import pytest

from firefly_widgets.engine import ConfigError, DataError, analyze_csv, describe_dataset


def _write(tmp_path, text: str | bytes, name: str = "d.csv") -> str:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return str(path)


MIXED = """age,city,joined,score,notes,flag,label
31,Paris,2024-01-03,1.5,likes long walks on the beach every single morning,true,yes
42,,2024-02-11,,,false,no
25,Rome,2024-03-20,2.25,prefers short answers and quiet rooms with many books,true,yes
NA,Paris,2024-04-01,3.0,has opinions about coffee and about most other things too,false,no
"""


def test_analyze_types_and_warnings(tmp_path):
    info = analyze_csv(_write(tmp_path, MIXED))
    assert info["row_count"] == 4
    assert info["columns"] == ["age", "city", "joined", "score", "notes", "flag", "label"]
    assert info["base_types"] == {"age": "int", "city": "str", "joined": "datetime", "score": "float",
                                  "notes": "str", "flag": "bool", "label": "str"}
    assert info["feature_types"]["age"] == "numerical"
    assert info["feature_types"]["city"] == "categorical"
    assert info["feature_types"]["joined"] == "datetime"
    assert info["feature_types"]["notes"] == "text"
    assert info["feature_types"]["flag"] == "categorical"
    assert any("missing" in w for w in info["warnings"]["age"])
    assert info["data_size"] == len(MIXED.encode())


def test_na_values_are_missing(tmp_path):
    info = analyze_csv(_write(tmp_path, "a,b\n1,x\n?,y\n3,z\n"), na_values=["?"])
    assert info["base_types"]["a"] == "int"
    assert "1 missing values (33.3%)" in info["warnings"]["a"]


@pytest.mark.parametrize(("content", "message"), [
    ("", "empty"),
    ("   \n", "empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "not CSV"),
    ("a,b,a\n1,2,3\n", "duplicate column names: a"),
    ("a,b\n", "no data rows"),
    ("a,,c\n1,2,3\n", "empty name"),
])
def test_unusable_files_are_data_errors(tmp_path, content, message):
    with pytest.raises(DataError, match=message):
        analyze_csv(_write(tmp_path, content))


def test_describe_classification(tmp_path):
    meta = describe_dataset(_write(tmp_path, MIXED), target="label", problem_type="classification",
                            not_used=["notes"])
    assert meta["classes"] == ["no", "yes"]
    assert meta["class_counts"] == {"no": 2, "yes": 2}
    assert meta["features"] == ["age", "city", "joined", "score", "flag"]
    assert meta["n_rows"] == 4 and meta["n_features"] == 5
    assert meta["target_stats"] is None


def test_describe_regression_and_numeric_classes(tmp_path):
    path = _write(tmp_path, "x,y,c\n1,2.5,1\n2,3.5,0\n3,,1\n4,1.0,10\n")
    meta = describe_dataset(path, target="y", problem_type="regression")
    assert meta["n_rows"] == 3 and meta["missing_target_rows"] == 1
    assert meta["target_stats"]["min"] == 1.0 and meta["target_stats"]["max"] == 3.5
    meta = describe_dataset(path, target="c", problem_type="classification")
    assert meta["classes"] == ["0", "1", "10"], "numeric labels sort numerically, as strings"


@pytest.mark.parametrize(("kwargs", "field", "message"), [
    ({"target": "nope", "problem_type": "classification"}, "target", "not in the data"),
    ({"target": "city", "problem_type": "regression"}, "target", "must be numeric"),
    ({"target": "label", "problem_type": "classification", "not_used": ["label"]}, "not_used", "target"),
    ({"target": "label", "problem_type": "classification", "not_used": ["zzz"]}, "not_used", "zzz"),
    ({"target": "label", "problem_type": "regression_timeseries"}, "time_axis", "needs a time axis"),
    ({"target": "label", "problem_type": "classification", "time_axis": "when"}, "time_axis", "when"),
    ({"target": "label", "problem_type": "clustering"}, "problem_type", "clustering"),
])
def test_describe_errors_name_the_field(tmp_path, kwargs, field, message):
    with pytest.raises(ConfigError, match=message) as info:
        describe_dataset(_write(tmp_path, MIXED), **kwargs)
    assert info.value.field == field


def test_one_class_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="only one class") as info:
        describe_dataset(_write(tmp_path, "x,y\n1,a\n2,a\n"), target="y", problem_type="classification")
    assert info.value.field == "target"
