"""Hazards (隐患): registration, lists, the lifecycle, photos."""

from __future__ import annotations

import tempfile

import sqlalchemy as sa
from flask import current_app, request, send_file
from flask.views import MethodView
from flask_jwt_extended import verify_jwt_in_request
from flask_smorest import Blueprint
from sqlalchemy.orm import selectinload

from schemas.hazards import (
    ExtensionArgs,
    HazardCreateArgs,
    HazardFilterArgs,
    HazardListArgs,
    HazardPage,
    HazardSchema,
    PhotoSchema,
    PhotoUploadArgs,
    RectificationArgs,
    VerificationArgs,
)
from server.auth import (
    ALL_ROLES,
    access,
    current_user,
    enterprise_scope,
    get_visible,
    public,
    resource,
    scope_loader,
)
from server.celery_setup import enqueue
from server.errors import Invalid, NotFound, Unauthorized
from server.extensions import db
from server.hazards import ledger, photo_service, service
from server.hazards.models import Hazard, Photo
from server.i18n import language, t
from server.idempotency import create_once
from server.pagination import paginate
from server.reminders.service import enqueue_notices

blp = Blueprint("hazards", __name__, url_prefix="/api/v1/hazards", description="Hazards (隐患)")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
photos_blp = Blueprint("photos", __name__, url_prefix="/api/v1/photos", description="Photo files")


@scope_loader("hazard_id")
def load_hazard(user, hazard_id: int) -> Hazard:
    return get_visible(Hazard, user, hazard_id, enterprise_scope(user, Hazard.enterprise_id))


@scope_loader("photo_id")
def load_photo(user, photo_id: int) -> Photo:
    photo = get_visible(Photo, user, photo_id)
    load_hazard(user, photo.hazard_id)
    return photo


@scope_loader("variant")
def load_variant(_user, variant: str) -> str:
    if variant not in photo_service.VARIANTS:
        raise NotFound()
    return variant


def hazard_query():
    # List items carry no photos or history: load only what the summary shows.
    return sa.select(Hazard).options(selectinload(Hazard.enterprise), selectinload(Hazard.found_by))


def list_hazards(user, args: dict) -> sa.Select:
    """The hazard list of API.md with every filter, scoped to what `user` may see."""
    stmt = hazard_query().where(*service.hazard_conditions(user, args))
    if args.get("sort") == "deadline":  # the most overdue first
        return stmt.order_by(Hazard.deadline, Hazard.id)
    return stmt.order_by(Hazard.found_at.desc(), Hazard.id.desc())


@blp.route("")
class HazardsView(MethodView):
    @access(*ALL_ROLES)
    @blp.arguments(HazardListArgs, location="query")
    @blp.response(200, HazardPage)
    def get(self, args):
        """List hazards in the caller's scope, newest first, with the filters of API.md."""
        return paginate(list_hazards(current_user(), args), args)

    @access("inspector", "office", "enterprise")
    @blp.arguments(HazardCreateArgs)
    @blp.response(201, HazardSchema)
    @blp.alt_response(200, schema=HazardSchema, description="The same client_uuid again: the first record")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, args):
        """Register a hazard (enterprises: a self-reported one). Idempotent by client_uuid."""
        user = current_user()
        hazard, created = create_once(Hazard, user.id, args, lambda: service.register_hazard(user, args))
        if created:
            enqueue_notices(hazard.id)
        return hazard, (201 if created else 200)


@blp.route("/export.xlsx")
class LedgerView(MethodView):
    @access("office", "leader")
    @blp.arguments(HazardFilterArgs, location="query")
    @blp.response(
        200,
        {"type": "string", "format": "binary"},
        description="The hazard ledger (台账): one row per hazard, and a totals sheet",
        content_type=XLSX,
    )
    def get(self, args):
        """The hazard ledger (隐患台账) as .xlsx, with the list's filters; its totals sheet is the statistics'."""
        out = tempfile.TemporaryFile()
        ledger.write_ledger(current_user(), args, out, language())
        out.seek(0)
        name = "隐患台账.xlsx" if language() == "zh" else "hazard-ledger.xlsx"
        return send_file(out, mimetype=XLSX, as_attachment=True, download_name=name, max_age=0)


@blp.route("/<int:hazard_id>")
class HazardView(MethodView):
    @access(*ALL_ROLES)
    @blp.response(200, HazardSchema)
    def get(self, hazard_id):
        """One hazard with its photos, history, latest rectification, overdue and days_overdue."""
        return resource("hazard_id")


def _lifecycle(action) -> Hazard:
    hazard = db.session.execute(
        sa.select(Hazard).where(Hazard.id == resource("hazard_id").id).with_for_update()
    ).scalar_one()
    action(hazard)
    db.session.commit()
    return hazard


@blp.route("/<int:hazard_id>/rectification")
class RectificationView(MethodView):
    @access("enterprise", "office")
    @blp.arguments(RectificationArgs)
    @blp.response(200, HazardSchema)
    @blp.alt_response(409, response="CONFLICT")
    def post(self, args, hazard_id):
        """Submit the rectification (needs ≥ 1 after photo) → awaiting_verification."""
        return _lifecycle(lambda h: service.submit_rectification(current_user(), h, args))


@blp.route("/<int:hazard_id>/verification")
class VerificationView(MethodView):
    @access("inspector", "office")
    @blp.arguments(VerificationArgs)
    @blp.response(200, HazardSchema)
    @blp.alt_response(409, response="CONFLICT")
    def post(self, args, hazard_id):
        """Accept (→ closed, 销号) or reject with a comment (→ registered)."""
        return _lifecycle(lambda h: service.verify(current_user(), h, args["accepted"], args.get("comment")))


@blp.route("/<int:hazard_id>/extension")
class ExtensionView(MethodView):
    @access("office")
    @blp.arguments(ExtensionArgs)
    @blp.response(200, HazardSchema)
    @blp.alt_response(409, response="CONFLICT")
    def post(self, args, hazard_id):
        """Extend the deadline (延期) with a reason; the history keeps the original."""
        return _lifecycle(lambda h: service.extend_deadline(current_user(), h, args["deadline"], args["reason"]))


@blp.route("/<int:hazard_id>/photos")
class PhotosView(MethodView):
    @access("inspector", "office", "enterprise")
    @blp.arguments(PhotoUploadArgs, location="form", content_type="multipart/form-data")
    @blp.response(201, PhotoSchema)
    @blp.alt_response(200, schema=PhotoSchema, description="The same bytes (or client_uuid) again: the first photo")
    @blp.alt_response(409, response="CONFLICT")
    @blp.alt_response(413, response="REQUEST_ENTITY_TOO_LARGE")
    def post(self, args, hazard_id):
        """Upload one photo (JPEG, PNG, WebP, HEIC/HEIF); derived images follow from the worker."""
        upload = request.files.get("file")
        if upload is None:
            raise Invalid(errors={"file": [t("photo_file_missing")]})
        user, hazard = current_user(), resource("hazard_id")
        client_uuid = str(args["client_uuid"]) if args.get("client_uuid") else None
        photo, created = photo_service.add_photo(user, hazard, args["stage"], client_uuid, upload)
        if created:
            db.session.commit()
            enqueue(current_app, "worker.tasks.derive_photo", photo.id)
        return photo, (201 if created else 200)


@photos_blp.route("/<int:photo_id>/<variant>")
class PhotoFile(MethodView):
    @public
    @photos_blp.response(
        200,
        {"type": "string", "format": "binary"},
        description="The image bytes (JPEG for display and thumbnail; the original's own type)",
        content_type="image/jpeg",
    )
    @photos_blp.alt_response(401, response="UNAUTHORIZED")
    @photos_blp.alt_response(404, response="NOT_FOUND")
    def get(self, photo_id, variant):
        """A photo file: `original`, `display` or `thumbnail`. A valid signature, or a Bearer token of a user
        who may see the hazard."""
        if variant not in photo_service.VARIANTS:
            raise NotFound()
        signed = photo_service.signature_valid(
            photo_id, variant, request.args.get("expires"), request.args.get("signature")
        )
        if signed:
            photo = db.session.get(Photo, photo_id)
            if photo is None:
                raise NotFound()
        else:
            if "Authorization" not in request.headers:
                raise Unauthorized("bad_signature" if request.args.get("signature") else "unauthorized")
            verify_jwt_in_request()
            photo = load_photo(current_user(), photo_id)
        if variant != "original" and not photo.derived:
            photo_service.derive(photo.id)  # the worker has not got to it yet: derive now
        path = photo_service.media_path(photo_service.derived_key(photo, variant))
        if not path.exists():
            raise NotFound()
        mimetype = photo.content_type if variant == "original" else "image/jpeg"
        response = send_file(path, mimetype=mimetype, max_age=current_app.config["PHOTO_URL_TTL_SECONDS"], etag=True)
        response.cache_control.private = True
        return response
