//! The organization's people, teams and groups, and the JSM portal-only customers: who acts in
//! the generated records. Names deliberately include non-ASCII characters, account ids come in
//! both Atlassian forms, and each person signs in from two or three addresses (some IPv6), all
//! of them in the person's home country, so a sign-in from anywhere else stands out.

use crate::format::{digest, hex, uuid};
use rand::seq::SliceRandom;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// First names as displayed, with the ASCII form used in e-mail addresses.
const FIRST: &[(&str, &str)] = &[
    ("Zoë", "zoe"),
    ("José", "jose"),
    ("Ana", "ana"),
    ("Mei", "mei"),
    ("Jonas", "jonas"),
    ("Priya", "priya"),
    ("Lukas", "lukas"),
    ("Søren", "soren"),
    ("Chloé", "chloe"),
    ("Ravi", "ravi"),
    ("Ingrid", "ingrid"),
    ("Mateus", "mateus"),
    ("Aoife", "aoife"),
    ("Björn", "bjorn"),
    ("Fatima", "fatima"),
    ("Kenji", "kenji"),
    ("Olga", "olga"),
    ("Tomás", "tomas"),
    ("Amara", "amara"),
    ("Élodie", "elodie"),
    ("Noah", "noah"),
    ("Yusuf", "yusuf"),
    ("Hana", "hana"),
    ("Marek", "marek"),
];

/// Last names as displayed, with their ASCII forms.
const LAST: &[(&str, &str)] = &[
    ("Ångström", "angstrom"),
    ("Núñez", "nunez"),
    ("Souza", "souza"),
    ("Lin", "lin"),
    ("Weber", "weber"),
    ("Natarajan", "natarajan"),
    ("Braun", "braun"),
    ("Kierkegård", "kierkegard"),
    ("Dubois", "dubois"),
    ("Kumar", "kumar"),
    ("Løvås", "lovas"),
    ("Gonçalves", "goncalves"),
    ("O'Brien", "obrien"),
    ("Müller", "muller"),
    ("Haddad", "haddad"),
    ("Tanaka", "tanaka"),
    ("Petrović", "petrovic"),
    ("García", "garcia"),
    ("Okafor", "okafor"),
    ("Łukasik", "lukasik"),
];

/// Names written family-name first, as Japanese and Chinese colleagues' profiles often are.
const EAST_ASIAN: &[(&str, &str)] = &[
    ("山田 太郎", "taro.yamada"),
    ("李 明", "ming.li"),
    ("佐藤 花子", "hanako.sato"),
    ("王 芳", "fang.wang"),
    ("김 민준", "minjun.kim"),
];

const TEAM_NAMES: &[&str] = &[
    "platform", "payments", "mobile", "data", "security", "design", "growth", "support", "infra",
    "search", "billing", "identity",
];

/// Where an address is located: country, region, city (as `location` of organization events).
pub type Place = (&'static str, &'static str, &'static str);

/// The places people live in; each person's usual addresses are all in their home place.
pub const HOMES: &[Place] = &[
    ("Germany", "Berlin", "Berlin"),
    ("Ireland", "Leinster", "Dublin"),
    ("Brazil", "São Paulo", "São Paulo"),
    ("Japan", "Tokyo", "Tokyo"),
    ("India", "Karnataka", "Bengaluru"),
    ("United States", "California", "San Francisco"),
    ("Australia", "New South Wales", "Sydney"),
];

/// Places nobody lives in, for sign-ins from abroad (the new-country scenario takes the first
/// one a person has not been seen in).
pub const ABROAD: &[Place] = &[
    ("Singapore", "Singapore", "Singapore"),
    ("Canada", "Ontario", "Toronto"),
    ("South Africa", "Western Cape", "Cape Town"),
    ("Mexico", "Mexico City", "Mexico City"),
    ("Portugal", "Lisbon", "Lisbon"),
];

/// Where the attacking addresses of the brute-force scenarios are located.
pub const ATTACKER_PLACE: Place = ("Netherlands", "North Holland", "Amsterdam");

/// Offsets (minutes east of UTC) people commit from.
const ZONES: &[i32] = &[0, 60, 120, 330, 540, -300, -420, 600];

/// One person of the organization.
#[derive(Debug, Clone)]
pub struct Person {
    /// Atlassian account id, `5f…` (24 hex) or `712020:<uuid>`.
    pub account_id: String,
    /// Display name.
    pub name: String,
    /// E-mail address.
    pub email: String,
    /// Addresses the person signs in from (two or three), all located at [`Person::home`].
    pub ips: Vec<String>,
    /// Where the person lives and signs in from.
    pub home: Place,
    /// Bitbucket user UUID (with braces).
    pub bitbucket_uuid: String,
    /// Bitbucket nickname.
    pub nickname: String,
    /// The zone their commits carry, minutes east of UTC.
    pub zone_minutes: i32,
}

/// An organization group: a team or a product group.
#[derive(Debug, Clone)]
pub struct Group {
    /// Group id (UUID).
    pub id: String,
    /// Name (`team-platform`, `jira-software-users`, …).
    pub name: String,
    /// Members, as indexes into [`Directory::people`].
    pub members: Vec<usize>,
}

/// A JSM portal-only customer: e-mail only, `qm:` account id.
#[derive(Debug, Clone)]
pub struct Customer {
    /// `qm:<uuid>:<uuid>`.
    pub account_id: String,
    /// Display name.
    pub name: String,
    /// E-mail address.
    pub email: String,
}

/// Everyone who can appear in a record.
#[derive(Debug, Clone)]
pub struct Directory {
    /// People, in generation order.
    pub people: Vec<Person>,
    /// Teams first (`team-…`), then product groups.
    pub groups: Vec<Group>,
    /// Portal-only customers.
    pub customers: Vec<Customer>,
}

/// Product groups that are not teams; `site-admins` is an administrator group.
pub const PRODUCT_GROUPS: &[&str] = &["jira-software-users", "confluence-users", "site-admins"];

/// Groups whose names say they grant administration but which are not among the pipeline's
/// administrator groups, so joining one stays `user_added_to_group`: a privileged-group
/// detection's business. They come last in [`Directory::groups`], their members are the site
/// administrators, and generated records never touch them — only the privileged-group scenario.
pub const PRIVILEGED_GROUPS: &[&str] = &["jira-admins-eu", "confluence-admins-emea"];

impl Directory {
    /// Generates `people` people (at least one) in `teams` teams (at least one).
    pub fn generate(rng: &mut ChaCha8Rng, seed: u64, people: usize, teams: usize) -> Self {
        let people_n = people.max(1);
        let mut used = std::collections::BTreeSet::new();
        let mut out = Vec::with_capacity(people_n);
        for i in 0..people_n {
            let (name, local) = loop {
                let (name, local) = if rng.gen_ratio(1, 8) {
                    let (n, l) = EAST_ASIAN[rng.gen_range(0..EAST_ASIAN.len())];
                    (n.to_owned(), l.to_owned())
                } else {
                    let (f, fl) = FIRST[rng.gen_range(0..FIRST.len())];
                    let (l, ll) = LAST[rng.gen_range(0..LAST.len())];
                    (format!("{f} {l}"), format!("{fl}.{ll}"))
                };
                if used.insert(local.clone()) {
                    break (name, local);
                }
                if used.len() > FIRST.len() * LAST.len() / 2 {
                    // The pools are running out: make the address unique with a number.
                    let local = format!("{local}{i}");
                    used.insert(local.clone());
                    break (name, local);
                }
            };
            let id_bytes = digest(&[b"person", &seed.to_le_bytes(), &(i as u64).to_le_bytes()]);
            let account_id = if i % 2 == 0 {
                hex(&id_bytes[..12])
            } else {
                format!("712020:{}", uuid(&id_bytes[12..28]))
            };
            let mut ips = vec![
                format!("203.0.113.{}", 1 + (i * 7) % 250),
                format!("198.51.100.{}", 1 + (i * 13) % 250),
            ];
            if i % 3 == 0 {
                ips.push(format!(
                    "2001:db8:{:x}::{:x}",
                    0x100 + i,
                    1 + rng.gen_range(0..0xfff)
                ));
            } else if rng.gen_bool(0.4) {
                ips.push(format!("192.0.2.{}", 1 + (i * 11) % 250));
            }
            out.push(Person {
                account_id,
                name,
                email: format!("{local}@acme.example"),
                ips,
                // From the id's digest, not the generator, so the rest of the data is unchanged.
                home: HOMES[usize::from(id_bytes[0]) % HOMES.len()],
                bitbucket_uuid: format!("{{{}}}", uuid(&id_bytes[16..32])),
                nickname: local.replace('.', ""),
                zone_minutes: ZONES[rng.gen_range(0..ZONES.len())],
            });
        }

        let team_n = teams.max(1);
        let mut groups: Vec<Group> = (0..team_n)
            .map(|t| {
                let base = TEAM_NAMES[t % TEAM_NAMES.len()];
                let name = if t < TEAM_NAMES.len() {
                    format!("team-{base}")
                } else {
                    format!("team-{base}-{}", t / TEAM_NAMES.len() + 1)
                };
                Group {
                    id: group_id(seed, &name),
                    name,
                    members: Vec::new(),
                }
            })
            .collect();
        for p in 0..people_n {
            let first = p % team_n;
            groups[first].members.push(p);
            if team_n > 1 && rng.gen_bool(0.35) {
                let second = (first + 1 + rng.gen_range(0..team_n - 1)) % team_n;
                groups[second].members.push(p);
            }
        }
        for g in &mut groups {
            g.members.sort_unstable();
        }
        for name in PRODUCT_GROUPS {
            let members: Vec<usize> = match *name {
                "site-admins" => (0..people_n).take(2.max(people_n / 15)).collect(),
                _ => (0..people_n).filter(|_| rng.gen_bool(0.85)).collect(),
            };
            groups.push(Group {
                id: group_id(seed, name),
                name: (*name).to_owned(),
                members,
            });
        }

        let admins = groups
            .iter()
            .find(|g| g.name == "site-admins")
            .map(|g| g.members.clone())
            .unwrap_or_default();
        for name in PRIVILEGED_GROUPS {
            groups.push(Group {
                id: group_id(seed, name),
                name: (*name).to_owned(),
                members: admins.clone(),
            });
        }

        let customer_n = (people_n / 2).max(5);
        let mut customers = Vec::with_capacity(customer_n);
        for c in 0..customer_n {
            let (f, fl) = FIRST[rng.gen_range(0..FIRST.len())];
            let (l, ll) = LAST[rng.gen_range(0..LAST.len())];
            let b = digest(&[b"customer", &seed.to_le_bytes(), &(c as u64).to_le_bytes()]);
            customers.push(Customer {
                account_id: format!("qm:{}:{}", uuid(&b[..16]), uuid(&b[16..32])),
                name: format!("{f} {l}"),
                email: format!("{fl}.{ll}{c}@customer.example"),
            });
        }
        customers.shuffle(rng);
        Self {
            people: out,
            groups,
            customers,
        }
    }

    /// How many groups records are generated about: all but the [`PRIVILEGED_GROUPS`].
    pub fn ordinary_groups(&self) -> usize {
        self.groups.len() - PRIVILEGED_GROUPS.len()
    }

    /// The index of the group called `name`.
    pub fn group_named(&self, name: &str) -> Option<usize> {
        self.groups.iter().position(|g| g.name == name)
    }
}

fn group_id(seed: u64, name: &str) -> String {
    uuid(&digest(&[b"group", &seed.to_le_bytes(), name.as_bytes()]))
}
