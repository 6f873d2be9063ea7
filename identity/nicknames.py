"""A small nickname table (English and Spanish): the nickname maps to the formal name.

Kept short on purpose: a wrong entry merges two different names, so only unambiguous,
common diminutives are listed. Deployments can extend it through the settings.
"""

from __future__ import annotations

NICKNAMES: dict[str, str] = {
    # English
    "bill": "william", "billy": "william", "will": "william", "liam": "william",
    "bob": "robert", "bobby": "robert", "rob": "robert", "robbie": "robert",
    "dick": "richard", "rick": "richard", "ricky": "richard", "rich": "richard",
    "jim": "james", "jimmy": "james", "jamie": "james", "mike": "michael", "mick": "michael",
    "tom": "thomas", "tommy": "thomas", "tony": "anthony", "chris": "christopher",
    "dave": "david", "davy": "david", "dan": "daniel", "danny": "daniel",
    "joe": "joseph", "joey": "joseph", "steve": "stephen", "ted": "edward", "ed": "edward",
    "eddie": "edward", "ben": "benjamin", "sam": "samuel", "matt": "matthew",
    "nick": "nicholas", "alex": "alexander", "andy": "andrew", "drew": "andrew",
    "kate": "katherine", "katie": "katherine", "kathy": "katherine", "cathy": "catherine",
    "liz": "elizabeth", "beth": "elizabeth", "betty": "elizabeth", "lizzie": "elizabeth",
    "peggy": "margaret", "maggie": "margaret", "meg": "margaret", "jenny": "jennifer",
    "jen": "jennifer", "sue": "susan", "susie": "susan", "patty": "patricia",
    "trish": "patricia", "becky": "rebecca", "vicky": "victoria", "debbie": "deborah",
    "greg": "gregory", "tim": "timothy", "jon": "jonathan", "kim": "kimberly",
    # Spanish
    "pepe": "jose", "pepa": "josefa", "paco": "francisco", "pancho": "francisco",
    "quique": "enrique", "kike": "enrique", "nacho": "ignacio", "chema": "jose maria",
    "chus": "jesus", "lola": "dolores", "loli": "dolores", "pili": "pilar",
    "concha": "concepcion", "conchi": "concepcion", "charo": "rosario", "maite": "maria teresa",
    "manolo": "manuel", "lolo": "manuel", "rafa": "rafael", "toni": "antonio",
    "curro": "francisco", "fran": "francisco", "guille": "guillermo", "nando": "fernando",
    "javi": "javier", "alejo": "alejandro", "sole": "soledad", "merche": "mercedes",
    "tere": "teresa", "maribel": "maria isabel", "marisa": "maria luisa", "juanjo": "juan jose",
    "encarna": "encarnacion", "paqui": "francisca", "lupe": "guadalupe", "inma": "inmaculada",
    "montse": "montserrat", "majo": "maria jose", "chuchi": "jesus", "chelo": "consuelo",
    "puri": "purificacion", "reme": "remedios",
}
