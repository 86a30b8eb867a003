from alerts.raid import RaidParams, Toxic, find_raids, normalise

P = RaidParams(min_comments=5, min_authors=4)


def test_it_normalises_case_accents_links_and_repeats():
    """Variants of one insult normalise to the same words."""
    assert normalise("T'es NUUUL!!! @bob https://x.co/1 Dégage 2") == normalise("t es nul degage")


def test_it_finds_many_authors_posting_the_same_insult():
    """Six authors posting variants of one toxic line make a raid."""
    texts = ["you are trash, quit", "YOU ARE TRASH quit!!", "you are trash quit @brand"] * 2
    comments = [Toxic(i, f"a{i}", t) for i, t in enumerate(texts)]
    raids = find_raids(comments, P)
    assert len(raids) == 1 and raids[0].authors == 6 and len(raids[0].comment_ids) == 6


def test_it_ignores_one_author_repeating_himself():
    """Many copies from two accounts are spam, not a raid by many authors."""
    comments = [Toxic(i, f"a{i % 2}", "you are trash quit") for i in range(10)]
    assert find_raids(comments, P) == []


def test_it_ignores_unrelated_toxic_comments():
    """Different insults from different people do not cluster."""
    texts = [
        "idiot brand",
        "worst service ever you clowns",
        "trash product",
        "scam company liars",
        "go away losers",
        "nobody likes you",
    ]
    assert find_raids([Toxic(i, f"a{i}", t) for i, t in enumerate(texts)], P) == []
