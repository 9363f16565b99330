import pytest

from ig_tutorial import ImageNetLabels


def test_offline_1000_classes():
    labels = ImageNetLabels.for_num_classes(1000)
    assert len(labels) == 1000 and labels.offset == 0
    assert labels[967] == "espresso"
    assert labels[652] == "military uniform"
    assert labels[281] == "tabby"
    assert labels.index("Espresso") == 967


def test_1001_classes_hide_the_background_off_by_one():
    labels = ImageNetLabels.for_num_classes(1001)
    assert labels.offset == 1 and labels[0] == "background"
    # The tutorial's classes: fireboat is output 555, giant panda output 389.
    assert labels[555] == "fireboat"
    assert labels[389] == "giant panda"
    assert labels.imagenet_index(555) == 554
    assert labels.output_index(554) == 555
    assert labels.index("giant panda") == 389


def test_unknown_label_suggests_close_matches():
    labels = ImageNetLabels.for_num_classes(1000)
    with pytest.raises(ValueError, match="Did you mean 'espresso'"):
        labels.index("expresso")


def test_bad_num_classes_and_source():
    with pytest.raises(ValueError, match="1000 or 1001 outputs; this one has 10"):
        ImageNetLabels.for_num_classes(10)
    with pytest.raises(ValueError, match="source must be"):
        ImageNetLabels.for_num_classes(1000, source="web")


def test_index_out_of_range():
    with pytest.raises(IndexError, match="1001 is out of range for 1000"):
        ImageNetLabels.for_num_classes(1000)[1001]


@pytest.mark.network
def test_tutorial_labels_match_offline_names_for_the_tutorial_classes():
    online = ImageNetLabels.for_num_classes(1001, source="tutorial")
    assert online[0] == "background"
    assert online[555] == "fireboat" and online[389] == "giant panda"
