# Vietnamese date and number formats as Vietnamese offices write them: 24/3/2022, 1.234,5.
# Django's own "vi" module uses dashes (24-03-2022), which administrative documents do not.
DATE_FORMAT = r"\n\g\à\y j \t\h\á\n\g n \n\ă\m Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = r"H:i \n\g\à\y j \t\h\á\n\g n \n\ă\m Y"
YEAR_MONTH_FORMAT = r"\t\h\á\n\g n/Y"
MONTH_DAY_FORMAT = "j/n"
SHORT_DATE_FORMAT = "d/m/Y"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"  # as Excel shows it (dd/mm/yyyy hh:mm, cchc_portal/lib/xlsx.py)
FIRST_DAY_OF_WEEK = 1  # Thứ Hai
DATE_INPUT_FORMATS = ["%d/%m/%Y", "%d/%m/%y", "%Y-%m-%d"]
DATETIME_INPUT_FORMATS = ["%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"]
DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = "."
NUMBER_GROUPING = 3
