"""Word lists the synthetic population is drawn from.

Lists are ordered by how common the value is, so a Zipf-like draw over the index gives
the skew real data has (many Garcías, few Arrietas). The nickname table is the
generator's own on purpose: the engine keeps a separate one, so a benchmark does not
grade the engine against a copy of its own dictionary.
"""

from __future__ import annotations

from typing import Final

LOCALES: Final = ("ES", "US", "GB", "MX")
SPANISH_LOCALES: Final = frozenset({0, 3})

SPANISH_FEMALE: Final = (
    "María", "Carmen", "Ana", "Laura", "Isabel", "María José", "Cristina", "Marta", "Lucía",
    "Pilar", "Elena", "Sara", "Paula", "Rosa", "Raquel", "Beatriz", "Patricia", "Silvia",
    "Mercedes", "Nuria", "Julia", "Teresa", "Rocío", "Alba", "Irene", "Andrea", "Montserrat",
    "Sofía", "Inmaculada", "Encarnación", "Ángela", "Concepción", "Eva", "Natalia", "Claudia",
    "Begoña", "Ainhoa", "Lourdes", "Guadalupe", "Verónica", "Noelia", "Míriam", "Esther",
    "Dolores", "Francisca", "Josefa", "Antonia", "Consuelo", "Remedios", "Gemma",
)
SPANISH_MALE: Final = (
    "José", "Antonio", "Manuel", "Francisco", "David", "Juan", "Javier", "José Luis", "Daniel",
    "Carlos", "Jesús", "Alejandro", "Miguel", "José Antonio", "Rafael", "Pedro", "Pablo",
    "Ángel", "Sergio", "Fernando", "Jorge", "Luis", "Alberto", "Álvaro", "Adrián", "Diego",
    "Raúl", "Enrique", "Ramón", "Vicente", "Iván", "Rubén", "Óscar", "Andrés", "Joaquín",
    "Santiago", "Eduardo", "Víctor", "Roberto", "Jaime", "Mario", "Ignacio", "Alfonso",
    "Gonzalo", "Marcos", "Hugo", "Íñigo", "Guillermo", "Ricardo", "Emilio",
)
ENGLISH_FEMALE: Final = (
    "Mary", "Patricia", "Jennifer", "Linda", "Elizabeth", "Barbara", "Susan", "Jessica",
    "Sarah", "Karen", "Lisa", "Nancy", "Betty", "Margaret", "Sandra", "Ashley", "Kimberly",
    "Emily", "Donna", "Michelle", "Carol", "Amanda", "Melissa", "Deborah", "Stephanie",
    "Rebecca", "Sharon", "Laura", "Cynthia", "Kathleen", "Amy", "Angela", "Helen", "Anna",
    "Brenda", "Pamela", "Emma", "Nicole", "Samantha", "Katherine", "Christine", "Rachel",
    "Catherine", "Victoria", "Olivia", "Charlotte", "Sophie", "Lucy", "Hannah", "Abigail",
)
ENGLISH_MALE: Final = (
    "James", "Robert", "John", "Michael", "David", "William", "Richard", "Joseph", "Thomas",
    "Charles", "Christopher", "Daniel", "Matthew", "Anthony", "Mark", "Donald", "Steven",
    "Paul", "Andrew", "Joshua", "Kenneth", "Kevin", "Brian", "George", "Timothy", "Ronald",
    "Edward", "Jason", "Jeffrey", "Ryan", "Jacob", "Gary", "Nicholas", "Eric", "Jonathan",
    "Stephen", "Larry", "Justin", "Scott", "Brandon", "Benjamin", "Samuel", "Gregory",
    "Alexander", "Frank", "Patrick", "Raymond", "Jack", "Dennis", "Peter",
)
SPANISH_SURNAMES: Final = (
    "García", "Rodríguez", "González", "Fernández", "López", "Martínez", "Sánchez", "Pérez",
    "Gómez", "Martín", "Jiménez", "Ruiz", "Hernández", "Díaz", "Moreno", "Muñoz", "Álvarez",
    "Romero", "Alonso", "Gutiérrez", "Navarro", "Torres", "Domínguez", "Vázquez", "Ramos",
    "Gil", "Ramírez", "Serrano", "Blanco", "Molina", "Morales", "Suárez", "Ortega", "Delgado",
    "Castro", "Ortiz", "Rubio", "Marín", "Sanz", "Núñez", "Iglesias", "Medina", "Garrido",
    "Cortés", "Castillo", "Santos", "Lozano", "Guerrero", "Cano", "Prieto", "Méndez", "Cruz",
    "Calvo", "Gallego", "Vidal", "León", "Márquez", "Herrera", "Peña", "Flores", "Cabrera",
    "Campos", "Vega", "Fuentes", "Carrasco", "Diez", "Caballero", "Reyes", "Nieto", "Aguilar",
    "Pascual", "Santana", "Herrero", "Lorenzo", "Montero", "Hidalgo", "Giménez", "Ibáñez",
    "Ferrer", "Durán", "Santiago", "Benítez", "Mora", "Vicente", "Vargas", "Arias", "Carmona",
    "Crespo", "Román", "Pastor", "Soto", "Sáez", "Velasco", "Moya", "Soler", "Parra",
    "Esteban", "Bravo", "Gallardo", "Rojas", "de la Fuente", "del Río", "de la Torre",
    "San Martín", "Echeverría", "Arrieta", "Goikoetxea", "Llorente", "Quintana",
)
ENGLISH_SURNAMES: Final = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Anderson",
    "Taylor", "Thomas", "Moore", "Jackson", "Martin", "Lee", "Thompson", "White", "Harris",
    "Clark", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright", "Scott",
    "Hill", "Green", "Adams", "Baker", "Nelson", "Carter", "Mitchell", "Roberts", "Turner",
    "Phillips", "Campbell", "Parker", "Evans", "Edwards", "Collins", "Stewart", "Morris",
    "Murphy", "Cook", "Rogers", "Morgan", "Cooper", "Peterson", "Reed", "Bailey", "Bell",
    "Kelly", "Howard", "Ward", "Cox", "Richardson", "Wood", "Watson", "Brooks", "Bennett",
    "Gray", "James", "Hughes", "Price", "Sanders", "Myers", "Long", "Ross", "Foster",
    "Powell", "Jenkins", "Perry", "Russell", "Sullivan", "Fisher", "Henderson", "Coleman",
    "Patterson", "Jordan", "Graham", "Reynolds", "Hamilton", "Ford", "Wallace", "Gibson",
    "Ellis", "Stevens", "Murray", "Marshall", "Owens", "McDonald", "Harrison", "O'Brien",
    "Kennedy", "Wells", "Fletcher", "Chapman", "Knight", "Hunt", "Mason", "Lloyd", "Holmes",
)
NICKNAMES: Final = {
    "Francisco": ("Paco", "Curro", "Fran"),
    "José": ("Pepe",),
    "Manuel": ("Manolo",),
    "Ignacio": ("Nacho",),
    "Guillermo": ("Guille",),
    "Enrique": ("Quique",),
    "Jesús": ("Chuchi",),
    "Alejandro": ("Álex",),
    "Dolores": ("Lola",),
    "Concepción": ("Concha",),
    "Encarnación": ("Encarna",),
    "Mercedes": ("Merche",),
    "Francisca": ("Paqui",),
    "Josefa": ("Pepa",),
    "Guadalupe": ("Lupe",),
    "Inmaculada": ("Inma",),
    "Montserrat": ("Montse",),
    "María José": ("Majo",),
    "Robert": ("Bob", "Rob", "Bobby"),
    "William": ("Bill", "Will", "Billy"),
    "Richard": ("Dick", "Rick"),
    "James": ("Jim", "Jimmy"),
    "Michael": ("Mike",),
    "Thomas": ("Tom", "Tommy"),
    "Christopher": ("Chris",),
    "Anthony": ("Tony",),
    "Joseph": ("Joe",),
    "Daniel": ("Dan", "Danny"),
    "Matthew": ("Matt",),
    "Edward": ("Ed", "Ted"),
    "Nicholas": ("Nick",),
    "Elizabeth": ("Liz", "Beth", "Betty"),
    "Margaret": ("Maggie", "Peggy"),
    "Katherine": ("Kate", "Kathy"),
    "Catherine": ("Cathy", "Kate"),
    "Jennifer": ("Jen", "Jenny"),
    "Patricia": ("Pat", "Patty"),
    "Rebecca": ("Becky",),
    "Samantha": ("Sam",),
    "Deborah": ("Debbie",),
    "Susan": ("Sue",),
    "Kimberly": ("Kim",),
    "Benjamin": ("Ben",),
    "Samuel": ("Sam",),
    "Timothy": ("Tim",),
    "Stephen": ("Steve",),
    "Steven": ("Steve",),
    "Jonathan": ("Jon",),
    "Alexander": ("Alex",),
    "Gregory": ("Greg",),
    "Kenneth": ("Ken",),
}
MIDDLE_INITIALS: Final = "ABCDEFGHJKLMNPRSTW"

# city, postcode prefix, country index (into LOCALES), phone area (landline / switchboard)
CITIES: Final = (
    ("Madrid", "280", 0, "91"), ("Barcelona", "080", 0, "93"), ("Valencia", "460", 0, "96"),
    ("Sevilla", "410", 0, "95"), ("Zaragoza", "500", 0, "976"), ("Málaga", "290", 0, "95"),
    ("Bilbao", "480", 0, "94"), ("Alicante", "030", 0, "96"), ("Murcia", "300", 0, "968"),
    ("Valladolid", "470", 0, "983"), ("A Coruña", "150", 0, "981"), ("Palma", "070", 0, "971"),
    ("New York", "100", 1, "212"), ("San Francisco", "941", 1, "415"),
    ("Chicago", "606", 1, "312"), ("Austin", "787", 1, "512"), ("Boston", "021", 1, "617"),
    ("Seattle", "981", 1, "206"), ("Miami", "331", 1, "305"), ("Denver", "802", 1, "303"),
    ("London", "EC1", 2, "20"), ("Manchester", "M1", 2, "161"), ("Leeds", "LS1", 2, "113"),
    ("Bristol", "BS1", 2, "117"), ("Edinburgh", "EH1", 2, "131"),
    ("Ciudad de México", "06", 3, "55"), ("Guadalajara", "44", 3, "33"),
    ("Monterrey", "64", 3, "81"), ("Puebla", "72", 3, "222"),
)
STREETS: Final = {
    "ES": ("Calle Mayor", "Calle Real", "Avenida de la Constitución", "Calle Gran Vía",
           "Paseo de la Castellana", "Calle del Sol", "Calle Alcalá", "Avenida Diagonal",
           "Calle San Vicente", "Plaza de España", "Calle Serrano", "Calle Colón"),
    "US": ("Main St", "Oak Ave", "Maple St", "Washington Blvd", "Park Ave", "Elm St",
           "Cedar Ln", "Lake Dr", "Market St", "Broadway", "Sunset Blvd", "Pine St"),
    "GB": ("High Street", "Station Road", "Church Lane", "Victoria Road", "Green Lane",
           "Manor Road", "Park Road", "Queens Road", "Kings Road", "Mill Lane"),
    "MX": ("Avenida Reforma", "Calle Juárez", "Avenida Insurgentes", "Calle Hidalgo",
           "Calle Morelos", "Avenida Revolución", "Calle Madero", "Calle Zaragoza"),
}
FREE_MAIL: Final = {
    "ES": ("gmail.com", "hotmail.com", "yahoo.es", "outlook.es", "telefonica.net"),
    "US": ("gmail.com", "yahoo.com", "outlook.com", "aol.com", "icloud.com"),
    "GB": ("gmail.com", "hotmail.co.uk", "btinternet.com", "yahoo.co.uk"),
    "MX": ("gmail.com", "hotmail.com", "prodigy.net.mx", "outlook.com"),
}
BRAND_HEADS: Final = (
    "Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Hooli", "Vandelay", "Nova",
    "Iber", "Cantabria", "Levante", "Atlas", "Orion", "Zenith", "Aurora", "Sierra", "Delta",
    "Pioneer", "Summit", "Vertex", "Helios", "Boreal", "Meridian", "Cobalt", "Quantum",
    "Falcon", "Nimbus", "Solaris", "Tajo", "Ebro", "Duero", "Mistral", "Horizon", "Apex",
    "Lumen", "Granite", "Harbor", "Beacon", "Crown",
)
BRAND_TAILS: Final = (
    "", "tech", "soft", "data", "net", "works", "labs", "logic", "gen", "media", "corp",
    "sys", "cloud", "link", "line", "wave", "point", "path", "core", "one", "tel", "med",
    "fin", "bio", "log", "trans", "food", "energy", "build", "retail",
)
SECTORS: Final = (
    ("Iberia", "ES"), ("Soluciones", "ES"), ("Consultores", "ES"), ("Logística", "ES"),
    ("Servicios", "ES"), ("Sistemas", "ES"), ("Energía", "ES"), ("Ingeniería", "ES"),
    ("Systems", "US"), ("Solutions", "US"), ("Industries", "US"), ("Holdings", "US"),
    ("Consulting", "US"), ("Partners", "US"), ("Group", "GB"), ("Services", "GB"),
    ("Trading", "GB"), ("Analytics", "GB"), ("México", "MX"), ("Comercial", "MX"),
)
LEGAL_FORMS: Final = {
    "ES": (("S.L.", "SL", "Sociedad Limitada"), ("S.A.", "SA", "Sociedad Anónima"),
           ("S.L.U.", "SLU", "S.L.U"), ("S.A.U.", "SAU", "S.A.U")),
    "US": (("Inc.", "Inc", "Incorporated"), ("LLC", "L.L.C.", "Llc"),
           ("Corp.", "Corporation", "Corp")),
    "GB": (("Ltd", "Ltd.", "Limited"), ("PLC", "plc", "Public Limited Company")),
    "MX": (("S.A. de C.V.", "SA de CV", "S.A. de C.V"),),
}
TLDS: Final = {"ES": ".es", "US": ".com", "GB": ".co.uk", "MX": ".com.mx"}
INDUSTRIES: Final = (
    "Software", "Manufacturing", "Retail", "Logistics", "Energy", "Finance", "Healthcare",
    "Telecommunications", "Consulting", "Construction", "Food & Beverage", "Education",
)
JOB_TITLES: Final = (
    "Sales Manager", "Account Executive", "CEO", "CFO", "CTO", "IT Manager",
    "Procurement Manager", "Marketing Director", "Operations Manager", "Software Engineer",
    "Data Analyst", "HR Manager", "Office Manager", "Director Comercial", "Jefe de Compras",
    "Responsable de IT", "Director General", "Técnico de Sistemas", "Project Manager",
    "Customer Success Manager", "Partner Manager", "Financial Controller",
)
DEPARTMENTS: Final = ("Sales", "Engineering", "Finance", "Marketing", "Operations", "People")
SHARED_INBOXES: Final = {
    "ES": ("info", "ventas", "contacto", "administracion", "comercial"),
    "US": ("info", "sales", "contact", "hello", "office"),
    "GB": ("info", "sales", "enquiries", "hello", "office"),
    "MX": ("info", "ventas", "contacto", "atencion"),
}
