"""Simplified Chinese: Django's formats, with ISO dates first for date inputs."""

from django.conf.locale.zh_Hans import formats as django_formats

from fangyi.core.formats import ISO_DATE_FIRST, ISO_DATETIME_FIRST, iso_first

DATE_INPUT_FORMATS = iso_first(ISO_DATE_FIRST, django_formats.DATE_INPUT_FORMATS)
DATETIME_INPUT_FORMATS = iso_first(ISO_DATETIME_FIRST, django_formats.DATETIME_INPUT_FORMATS)
