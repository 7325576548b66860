"""S3 keys that users really produce."""

#: Each of these keys must survive form-encoding in events and the round trip.
ODD_KEYS = [
    "uploads/my photo.jpg",
    "uploads/a+b plus.jpg",
    "uploads/ünïcødé 写真.jpg",
    "uploads/100% done.jpg",
    "uploads/#hash?query=1&x.jpg",
    "uploads/../../etc/passwd",
    "uploads/nested/deeper/.hidden",
]
