from ninja import Schema


class PlaceRef(Schema):
    level: str
    id: int
    name: str


class ChildOut(Schema):
    level: str
    id: int
    name: str
    people: int


class PlaceOut(Schema):
    level: str
    id: int
    name: str
    code: str | None = None
    kind: str | None = None
    floors: int | None = None
    polygon: list | None = None
    people: int
    ancestors: list[PlaceRef]
    children: list[ChildOut]
