//! Word lists for generated tenants: people's names (with the ASCII form used in logins),
//! department-style group names, the awkward group names a real org accumulates (unicode, HTML,
//! bidi overrides, zero-width characters), and the demo tenant's fixed roster.

/// First names as shown, and as written in a login.
pub(super) const FIRST_NAMES: &[(&str, &str)] = &[
    ("Alice", "alice"),
    ("Bob", "bob"),
    ("Carmen", "carmen"),
    ("Dmitri", "dmitri"),
    ("Elif", "elif"),
    ("François", "francois"),
    ("Grace", "grace"),
    ("Hiroshi", "hiroshi"),
    ("Ingrid", "ingrid"),
    ("José", "jose"),
    ("Kwame", "kwame"),
    ("Léa", "lea"),
    ("Mohammed", "mohammed"),
    ("Nadia", "nadia"),
    ("Oliver", "oliver"),
    ("Priya", "priya"),
    ("Quentin", "quentin"),
    ("Rosa", "rosa"),
    ("Søren", "soren"),
    ("Tatiana", "tatiana"),
    ("Uma", "uma"),
    ("Viktor", "viktor"),
    ("Wei", "wei"),
    ("Ximena", "ximena"),
    ("Yusuf", "yusuf"),
    ("Zoë", "zoe"),
    ("Łukasz", "lukasz"),
    ("Siobhán", "siobhan"),
    ("美咲", "misaki"),
    ("Ana-María", "ana-maria"),
];

/// Last names as shown, and as written in a login.
pub(super) const LAST_NAMES: &[(&str, &str)] = &[
    ("Smith", "smith"),
    ("García", "garcia"),
    ("Müller", "muller"),
    ("Nakamura", "nakamura"),
    ("Okafor", "okafor"),
    ("Kowalski", "kowalski"),
    ("Johansson", "johansson"),
    ("Patel", "patel"),
    ("O'Brien", "obrien"),
    ("Nguyen", "nguyen"),
    ("Rossi", "rossi"),
    ("Dubois", "dubois"),
    ("Kim", "kim"),
    ("Haddad", "haddad"),
    ("Silva", "silva"),
    ("Van der Berg", "vanderberg"),
    ("Ivanova", "ivanova"),
    ("Chen", "chen"),
    ("Yılmaz", "yilmaz"),
    ("佐藤", "sato"),
    ("Andersen", "andersen"),
    ("Fitzgerald-Lee", "fitzgerald-lee"),
];

/// Department words for generated group names.
pub(super) const DEPARTMENTS: &[&str] = &[
    "Engineering",
    "Sales",
    "Finance",
    "Support",
    "Marketing",
    "Legal",
    "Product",
    "Design",
    "Operations",
    "Security",
    "Data",
    "Research",
    "Facilities",
    "Procurement",
    "People",
];

/// Second words for generated group names.
pub(super) const QUALIFIERS: &[&str] = &[
    "Readers",
    "Editors",
    "Admins",
    "EMEA",
    "APAC",
    "Americas",
    "Contractors",
    "Leads",
    "On-call",
    "Interns",
    "Platform",
    "Reviewers",
];

/// Group names that break naive code: unicode, HTML, bidi overrides, zero-width characters,
/// quotes, surrounding spaces, a very long name. The first assigned groups of every sized
/// tenant get these.
pub(super) const AWKWARD_GROUP_NAMES: &[&str] = &[
    "Équipe Données — Montréal",
    "開発チーム",
    "🚀 Launch Crew 🎉",
    "<script>alert(1)</script>",
    "<b>Bold</b> & \"quotes\"",
    "Finance \u{202E}gnp.exe",
    "Zero\u{200B}Width\u{200D}Joiner\u{FEFF}",
    "Ünïcödé Ωmega Ελληνικά",
    "Robert'); DROP TABLE groups;--",
    "  Spaced Out  ",
    "مجموعة المبيعات",
    "Sales / EMEA \\ Backslash",
];

/// The demo tenant's groups assigned to the app: name and description (`None` leaves the
/// description out).
pub(super) const DEMO_GROUPS: &[(&str, Option<&str>)] = &[
    ("Engineering", Some("Everyone who builds the product")),
    ("Sales", Some("Account executives and sales engineers")),
    ("Finance", Some("Accounting, payroll and FP&A")),
    ("Support", Some("Customer support, all tiers")),
    ("IT Admins", Some("Administrators of company systems")),
    ("Marketing", None),
    ("Human Resources", Some("People operations")),
    ("Legal", None),
    ("Product", Some("Product managers")),
    ("Design", Some("Product and brand design")),
    ("Customer Success", Some("")),
    ("Security", Some("Security engineering and compliance")),
];

/// The demo tenant's groups that are not assigned to the app.
pub(super) const DEMO_UNASSIGNED_GROUPS: &[(&str, Option<&str>)] =
    &[("Contractors", Some("External contractors")), ("Board Members", None)];

/// The demo tenant's people: first name, last name, and the indices of their groups in
/// [`DEMO_GROUPS`] (then [`DEMO_UNASSIGNED_GROUPS`], numbered on from there).
pub(super) const DEMO_PEOPLE: &[(&str, &str, &[usize])] = &[
    ("Jordan", "Avery", &[4, 0]),
    ("Alice", "Johnson", &[0]),
    ("Bob", "Martinez", &[0, 11]),
    ("Carla", "Nguyen", &[0, 8]),
    ("David", "Okafor", &[0]),
    ("Emma", "Schmidt", &[0, 9]),
    ("Farid", "Haddad", &[0]),
    ("Grace", "Kim", &[1]),
    ("Hannah", "Lopez", &[1]),
    ("Ivan", "Petrov", &[1, 10]),
    ("Julia", "Rossi", &[1]),
    ("Kenji", "Tanaka", &[2]),
    ("Laura", "Becker", &[2]),
    ("Marcus", "Brown", &[2, 6]),
    ("Nina", "Patel", &[3]),
    ("Omar", "Farouk", &[3]),
    ("Paula", "Silva", &[3, 10]),
    ("Quinn", "Murphy", &[3]),
    ("Rafael", "Costa", &[4, 11]),
    ("Sara", "Lindqvist", &[4]),
    ("Tom", "Walker", &[5]),
    ("Uma", "Reddy", &[5, 9]),
    ("Victor", "Dubois", &[6]),
    ("Wendy", "Clarke", &[6]),
    ("Xavier", "Moreau", &[7]),
    ("Yara", "Haddad", &[7, 13]),
    ("Zoe", "Fischer", &[8]),
    ("Aaron", "Cohen", &[8, 0]),
    ("Bianca", "Ferrari", &[9]),
    ("Chris", "Evans", &[10]),
    ("Diana", "Prince", &[10, 1]),
    ("Ethan", "Wright", &[11]),
    ("Fatima", "Zahra", &[11, 4]),
    ("George", "Hall", &[12]),
    ("Helen", "Young", &[12, 3]),
    ("Isaac", "Newton", &[13]),
];
