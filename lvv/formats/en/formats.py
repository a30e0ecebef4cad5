# Dates as "1 November 2020" in English too (the Dutch locale already gives "1 november 2020").
DATE_FORMAT = "j F Y"
SHORT_DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j F Y, H:i"
