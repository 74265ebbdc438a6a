"""CPU rendering of the posed body: moderngl on Mesa's software EGL when available, else an
OpenCV painter (depth-sorted, flat-shaded triangles) that gives the same picture more slowly.

Camera: a pinhole looking horizontally at the figure (optionally tilted down by ``pitch`` and
rolled), placed ``distance`` metres from the figure's hip axis at ``height`` metres, at ``yaw``
degrees around it: 0 = in front of the figure, 90 = at the figure's left side (the figure then
faces the image left), -90 = at its right side (the figure faces the image right).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import cv2
import numpy as np

if TYPE_CHECKING:
    import moderngl

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Camera:
    yaw: float = 0.0
    height: float = 1.0
    distance: float = 3.2
    fov_deg: float = 45.0  # vertical field of view
    width: int = 540
    height_px: int = 960
    roll: float = 0.0
    pitch: float = 0.0  # + looks down
    target_height: float = 0.95  # the point the camera aims at (m above the floor)

    def view_matrix(self) -> tuple[np.ndarray, np.ndarray]:
        """World (body frame) -> camera frame (x right, y up, z toward the viewer)."""
        a = np.radians(self.yaw)
        eye = np.array([self.distance * np.sin(a), self.height, self.distance * np.cos(a)])
        target = np.array([0.0, self.target_height, 0.0])
        if self.pitch == 0.0:
            target[1] = self.height  # level camera: optical axis horizontal
        else:
            d = np.linalg.norm((target - eye)[[0, 2]])
            target[1] = self.height - d * np.tan(np.radians(self.pitch))
        f = target - eye
        f /= np.linalg.norm(f)
        right = np.cross(f, [0.0, 1.0, 0.0])
        right /= np.linalg.norm(right)
        up = np.cross(right, f)
        r = np.radians(self.roll)
        right, up = (np.cos(r) * right + np.sin(r) * up, -np.sin(r) * right + np.cos(r) * up)
        R = np.stack([right, up, -f])
        return R, -R @ eye

    def project(self, points: np.ndarray) -> np.ndarray:
        """``(N, 3)`` body-frame points -> ``(N, 3)``: pixel x, pixel y (down), depth (m)."""
        R, t = self.view_matrix()
        c = points @ R.T + t
        focal = 0.5 * self.height_px / np.tan(np.radians(self.fov_deg) / 2)
        depth = -c[:, 2]
        x = self.width / 2 + focal * c[:, 0] / depth
        y = self.height_px / 2 - focal * c[:, 1] / depth
        return np.stack([x, y, depth], axis=1)


@dataclass(frozen=True)
class Scene:
    background: tuple[int, int, int] = (200, 200, 195)
    floor: tuple[int, int, int] = (150, 140, 130)
    light_dir: tuple[float, float, float] = (0.3, 0.6, 0.8)  # toward the light, body frame
    ambient: float = 0.35


def _normals(verts: np.ndarray, faces: np.ndarray) -> np.ndarray:
    n = np.zeros_like(verts)
    fn = np.cross(verts[faces[:, 1]] - verts[faces[:, 0]], verts[faces[:, 2]] - verts[faces[:, 0]])
    for k in range(3):
        np.add.at(n, faces[:, k], fn)
    norm = np.linalg.norm(n, axis=1, keepdims=True)
    norm[norm == 0] = 1.0
    return n / norm


def _shade(verts: np.ndarray, faces: np.ndarray, colors: np.ndarray, scene: Scene) -> np.ndarray:
    light = np.asarray(scene.light_dir, float)
    light /= np.linalg.norm(light)
    lam = np.clip(_normals(verts, faces) @ light, 0.0, 1.0)
    k = scene.ambient + (1 - scene.ambient) * lam
    return np.clip(colors * k[:, None], 0, 255)


def _background(cam: Camera, scene: Scene) -> np.ndarray:
    """Plain wall with a floor from slightly behind the figure's feet downwards."""
    img = np.empty((cam.height_px, cam.width, 3), np.uint8)
    img[:] = scene.background
    a = np.radians(cam.yaw)
    behind = np.array([[-0.6 * np.sin(a), 0.0, -0.6 * np.cos(a)]])  # 0.6 m behind the figure
    row = int(np.clip(cam.project(behind)[0, 1], 0, cam.height_px))
    img[row:] = scene.floor
    return img


class Renderer:
    """Render posed meshes to RGB ``uint8 (H, W, 3)`` frames. ``backend``: "auto", "gl", "cv"."""

    def __init__(self, cam: Camera, scene: Scene = Scene(), backend: str = "auto") -> None:  # noqa: B008
        self.cam, self.scene = cam, scene
        self._ctx: moderngl.Context | None = None
        self.backend = "cv"
        if backend in ("auto", "gl"):
            try:
                self._init_gl()
                self.backend = "gl"
            except Exception as exc:  # no moderngl / no EGL: fall back
                if backend == "gl":
                    raise
                logger.info("OpenGL rendering unavailable (%s); using the OpenCV painter", exc)

    # ---- OpenGL -------------------------------------------------------------------------------
    def _init_gl(self) -> None:
        import moderngl

        # (the stubs type ``backend`` wrongly as a dict; moderngl takes the backend's name)
        options: dict[str, Any] = {"standalone": True, "backend": "egl"}
        ctx = moderngl.create_context(**options)
        self._ctx = ctx
        self._prog = ctx.program(
            vertex_shader="""
                #version 330
                in vec3 in_pos; in vec3 in_col;
                uniform mat4 mvp;
                out vec3 v_col;
                void main() { gl_Position = mvp * vec4(in_pos, 1.0); v_col = in_col; }
            """,
            fragment_shader="""
                #version 330
                in vec3 v_col; out vec4 f_col;
                void main() { f_col = vec4(v_col, 1.0); }
            """,
        )
        w, h = self.cam.width, self.cam.height_px
        self._fbo = ctx.simple_framebuffer((w, h), components=3)
        self._fbo.use()
        ctx.enable(moderngl.DEPTH_TEST)

    def _mvp(self) -> np.ndarray:
        R, t = self.cam.view_matrix()
        view = np.eye(4)
        view[:3, :3], view[:3, 3] = R, t
        near, far = 0.1, 50.0
        f = 1.0 / np.tan(np.radians(self.cam.fov_deg) / 2)
        aspect = self.cam.width / self.cam.height_px
        proj = np.array([[f / aspect, 0, 0, 0], [0, f, 0, 0],
                         [0, 0, (far + near) / (near - far), 2 * far * near / (near - far)],
                         [0, 0, -1, 0]])
        return proj @ view

    def render(self, verts: np.ndarray, faces: np.ndarray, colors: np.ndarray) -> np.ndarray:
        """``verts (V, 3)`` posed, ``faces (F, 3)``, ``colors (V, 3)`` uint8 -> RGB frame."""
        if self.backend == "gl":
            return self._render_gl(verts, faces, colors)
        return self._render_cv(verts, faces, colors)

    def _render_gl(self, verts: np.ndarray, faces: np.ndarray, colors: np.ndarray) -> np.ndarray:
        ctx = self._ctx
        assert ctx is not None
        tri = verts[faces].reshape(-1, 3)
        shade = _shade(verts, faces, colors.astype(float), self.scene)[faces].reshape(-1, 3)
        data = np.concatenate([tri, shade / 255.0], axis=1).astype("f4")
        vbo = ctx.buffer(data.tobytes())
        vao = ctx.vertex_array(self._prog, [(vbo, "3f 3f", "in_pos", "in_col")])
        cast("moderngl.Uniform", self._prog["mvp"]).write(self._mvp().T.astype("f4").tobytes())
        bg = _background(self.cam, self.scene)
        self._fbo.clear(0, 0, 0, 0, depth=1.0)
        vao.render()
        raw = np.frombuffer(self._fbo.read(components=3, alignment=1), np.uint8)
        img = raw.reshape(self.cam.height_px, self.cam.width, 3)[::-1]
        depth = np.frombuffer(self._fbo.read(components=1, attachment=-1, dtype="f4",
                                             alignment=1), np.float32)
        mask = depth.reshape(self.cam.height_px, self.cam.width)[::-1] < 1.0
        vao.release()
        vbo.release()
        out = bg.copy()
        out[mask] = img[mask]
        return out

    # ---- OpenCV painter -----------------------------------------------------------------------
    def _render_cv(self, verts: np.ndarray, faces: np.ndarray, colors: np.ndarray) -> np.ndarray:
        p = self.cam.project(verts)
        shade = _shade(verts, faces, colors.astype(float), self.scene).astype(np.uint8)
        tri = p[faces]  # (F, 3, 3)
        e1, e2 = tri[:, 1, :2] - tri[:, 0, :2], tri[:, 2, :2] - tri[:, 0, :2]
        facing = (e1[:, 0] * e2[:, 1] - e1[:, 1] * e2[:, 0]) < 0  # counter-clockwise on screen
        keep = np.flatnonzero(facing & np.all(tri[:, :, 2] > 0, axis=1))
        order = keep[np.argsort(-tri[keep, :, 2].mean(axis=1))]  # far to near
        fcol = shade[faces].mean(axis=1).astype(np.uint8)
        img = _background(self.cam, self.scene)
        pts = np.round(tri[:, :, :2] * 4).astype(np.int32)  # 2 bits of sub-pixel precision
        for f in order:
            c = fcol[f]
            cv2.fillConvexPoly(img, pts[f], (int(c[0]), int(c[1]), int(c[2])), cv2.LINE_8, 2)
        return img

    def close(self) -> None:
        if self._ctx is not None:
            self._ctx.release()
            self._ctx = None
