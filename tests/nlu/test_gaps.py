import pytest

from nlu.gaps import group_gaps, mask


@pytest.mark.parametrize(
    ("text", "hidden", "tag"),
    [
        ("мой ИИН 990101300123 помогите", "990101300123", "[iin]"),
        ("звоните +7 701 123 45 67", "701 123 45 67", "[phone]"),
        ("телефон 8(701)1234567", "1234567", "[phone]"),
        ("паспорт AA1234567 потерял", "AA1234567", "[doc]"),
        ("pasport FA 1234567 yo'qoldi", "1234567", "[doc]"),
        ("пишите на ivan.petrov@mail.ru", "ivan.petrov@mail.ru", "[email]"),
        ("мне должны 150000 тенге", "150000", "[n]"),
    ],
)
def test_mask_hides_numbers_and_documents(text: str, hidden: str, tag: str) -> None:
    masked = mask(text)
    assert hidden not in masked
    assert tag in masked
    assert not any(ch.isdigit() for ch in masked)


def test_mask_keeps_the_words() -> None:
    assert mask("где купить сим карту") == "где купить сим карту"


def test_group_gaps(small) -> None:
    texts = [
        "как отправить деньги домой",
        "как отправить деньги домой",
        "как отправить деньги домой через банк",
        "отправить деньги домой",
        "где купить билет на поезд",
        "билет на поезд купить где",
        "погода",
    ]
    groups = group_gaps(texts, small)
    assert sum(g.count for g in groups) == len(texts)
    assert groups[0].count == 4 and "деньги" in groups[0].examples[0]
    assert any(g.count == 2 and "поезд" in g.examples[0] for g in groups)
    for group in groups:
        assert 1 <= len(group.examples) <= 5
        assert all(intent in small.intents for intent, _ in group.nearest)


def test_group_gaps_empty_and_single(small) -> None:
    assert group_gaps([], small) == []
    assert group_gaps(["", "  "], small) == []
    [group] = group_gaps(["один вопрос"], small)
    assert group.count == 1
