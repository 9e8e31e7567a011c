from luoshi.core.paths import ancestor_ids, child_path, outermost, path_upper


def test_subtree_range_excludes_sibling_whose_id_shares_the_prefix():
    # '/1/3/' must not contain '/1/30/': the range is ['/1/3/', '/1/30') byte-wise.
    low, high = "/1/3/", path_upper("/1/3/")
    assert low <= "/1/3/" < high
    assert low <= "/1/3/17/" < high
    assert not (low <= "/1/30/" < high)
    assert not (low <= "/1/31/5/" < high)
    assert not (low <= "/1/2/" < high)


def test_child_path_and_ancestors_round_trip():
    assert child_path(None, 7) == "/7/"
    assert child_path("/7/", 12) == "/7/12/"
    assert ancestor_ids("/7/12/40/") == [7, 12, 40]


def test_outermost_drops_paths_inside_others():
    assert outermost(["/1/3/9/", "/1/3/", "/1/30/", "/2/"]) == ("/1/3/", "/1/30/", "/2/")
