"""The telescope's pointing: the attitude matrix from the V2/V3 frame to the sky, the
pointing keywords of an exposure, velocity aberration and dithers.

The sky position of a V2/V3 point follows JWST's definition of the pointing keywords
(RA_REF, DEC_REF and ROLL_REF at V2_REF, V3_REF): the V-frame unit vector is rotated by
``Rz(RA) Ry(-Dec) Rx(-Roll) Ry(V3ref) Rz(-V2ref)`` (active rotations), after the
differential velocity aberration (VA_SCALE) has scaled V2/V3 about the reference point.
All in numpy: the simulator's truth does not use the astropy models of the pipeline.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "Attitude",
    "unit_vector",
    "radec_of",
    "position_angle",
    "va_scale_factor",
    "aberrate",
    "jwst_velocity",
    "SPEED_OF_LIGHT_KMS",
]

SPEED_OF_LIGHT_KMS = 299792.458
_ARCSEC = np.pi / (180.0 * 3600.0)


def _rx(a):
    c, s = np.cos(a), np.sin(a)
    return np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])


def _ry(a):
    c, s = np.cos(a), np.sin(a)
    return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])


def _rz(a):
    c, s = np.cos(a), np.sin(a)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def unit_vector(lon_deg, lat_deg) -> np.ndarray:
    """Unit vectors, shape (3, ...), of longitudes and latitudes in degrees."""
    lon = np.deg2rad(np.asarray(lon_deg, dtype=float))
    lat = np.deg2rad(np.asarray(lat_deg, dtype=float))
    return np.array([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])


def radec_of(u) -> tuple[np.ndarray, np.ndarray]:
    """(lon, lat) in degrees of vectors of shape (3, ...); lon in [0, 360)."""
    u = np.asarray(u, dtype=float)
    lon = np.rad2deg(np.arctan2(u[1], u[0])) % 360.0
    lat = np.rad2deg(np.arctan2(u[2], np.hypot(u[0], u[1])))
    return lon, lat


def position_angle(at, direction) -> float:
    """Position angle (deg, north through east, in [0, 360)) of ``direction`` at the sky
    point ``at`` (both unit 3-vectors)."""
    at = np.asarray(at, dtype=float)
    north_pole = np.array([0.0, 0.0, 1.0])
    east = np.cross(north_pole, at)
    east /= np.linalg.norm(east)
    north = np.cross(at, east)
    pa = float(np.rad2deg(np.arctan2(direction @ east, direction @ north)) % 360.0)
    return 0.0 if pa == 360.0 else pa


@dataclass(frozen=True)
class Attitude:
    """Where the telescope points: ``matrix`` takes V-frame unit vectors to ICRS ones."""

    matrix: np.ndarray

    @classmethod
    def from_reference(cls, v2_ref, v3_ref, ra_ref, dec_ref, roll_ref) -> Attitude:
        """The attitude that puts (V2_REF, V3_REF) arcsec at (RA_REF, DEC_REF) deg with V3 at
        position angle ROLL_REF there (JWST's pointing keywords)."""
        m = (
            _rz(np.deg2rad(ra_ref))
            @ _ry(-np.deg2rad(dec_ref))
            @ _rx(-np.deg2rad(roll_ref))
            @ _ry(v3_ref * _ARCSEC)
            @ _rz(-v2_ref * _ARCSEC)
        )
        return cls(m)

    def v2v3_to_radec(self, v2, v3):
        """V2/V3 (arcsec) -> RA, Dec (deg), no aberration."""
        return radec_of(
            np.tensordot(
                self.matrix, unit_vector(np.asarray(v2) / 3600.0, np.asarray(v3) / 3600.0), 1
            )
        )

    def radec_to_v2v3(self, ra, dec):
        u = np.tensordot(self.matrix.T, unit_vector(ra, dec), 1)
        lon, lat = radec_of(u)
        lon = np.where(lon > 180.0, lon - 360.0, lon)
        return lon * 3600.0, lat * 3600.0

    def roll_at(self, v2, v3) -> float:
        """Position angle of the V3 axis at the V2/V3 point (arcsec): ROLL_REF there."""
        lon, lat = np.deg2rad(v2 / 3600.0), np.deg2rad(v3 / 3600.0)
        # +V3 direction at (v2, v3): the derivative of the unit vector along latitude
        up = np.array([-np.sin(lat) * np.cos(lon), -np.sin(lat) * np.sin(lon), np.cos(lat)])
        at = self.matrix @ unit_vector(v2 / 3600.0, v3 / 3600.0)
        return position_angle(at, self.matrix @ up)

    def reference_keywords(self, v2_ref, v3_ref) -> dict:
        """RA_REF, DEC_REF, ROLL_REF at a V2/V3 point and RA_V1, DEC_V1, PA_V3 (deg)."""
        ra_ref, dec_ref = self.v2v3_to_radec(v2_ref, v3_ref)
        ra_v1, dec_v1 = self.v2v3_to_radec(0.0, 0.0)
        return {
            "ra_ref": float(ra_ref),
            "dec_ref": float(dec_ref),
            "roll_ref": self.roll_at(v2_ref, v3_ref),
            "ra_v1": float(ra_v1),
            "dec_v1": float(dec_v1),
            "pa_v3": self.roll_at(0.0, 0.0),
        }

    def moved(self, v2_from, v3_from, v2_to, v3_to) -> Attitude:
        """The attitude after a slew that brings the sky seen at V2/V3 point ``to`` onto the
        point ``from`` (a rotation of the V frame about the axis normal to both)."""
        a = unit_vector(v2_from / 3600.0, v3_from / 3600.0)
        b = unit_vector(v2_to / 3600.0, v3_to / 3600.0)
        axis = np.cross(a, b)
        s = np.linalg.norm(axis)
        if s == 0.0:
            return self
        axis /= s
        ang = np.arctan2(s, a @ b)
        k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
        rot = np.eye(3) + np.sin(ang) * k + (1 - np.cos(ang)) * (k @ k)  # a -> b
        return Attitude(self.matrix @ rot)


def jwst_velocity(mjd: float) -> np.ndarray:
    """Barycentric velocity of JWST (km/s, ICRS axes) at an MJD: Earth's orbital motion
    (circular orbit, 29.78 km/s, in the ecliptic) plus ~0.5 km/s of L2 halo-orbit motion."""
    # Sun's mean longitude L (deg); the Earth moves toward ecliptic longitude L - 90 deg.
    days = mjd - 51544.5
    lam = np.deg2rad((280.460 + 0.9856474 * days) % 360.0 - 90.0)
    eps = np.deg2rad(23.4393)
    v_ecl = 29.78 * np.array([np.cos(lam), np.sin(lam), 0.0])
    phase = 2 * np.pi * days / 180.0
    halo = 0.5 * np.array([np.cos(phase), 0.0, np.sin(phase)])
    c, s = np.cos(eps), np.sin(eps)
    rot = np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])
    return rot @ v_ecl + halo


def va_scale_factor(velocity_kms, ra, dec) -> float:
    """Velocity-aberration plate scale at a sky direction: (1 + u.beta) / sqrt(1 - beta^2)
    (Cox 1997, STScI OSG-CAL-97-06)."""
    beta = np.asarray(velocity_kms, dtype=float) / SPEED_OF_LIGHT_KMS
    u = unit_vector(ra, dec)
    return float((1.0 + u @ beta) / np.sqrt(1.0 - beta @ beta))


def aberrate(velocity_kms, ra, dec) -> tuple[float, float]:
    """The apparent direction, seen from the moving telescope, of a sky position."""
    beta = np.asarray(velocity_kms, dtype=float) / SPEED_OF_LIGHT_KMS
    u = unit_vector(ra, dec)
    b2 = beta @ beta
    ub = u @ beta
    ig = np.sqrt(1.0 - b2)
    app = (ig * u + beta * (1.0 + (1.0 - ig) * ub / b2)) / (1.0 + ub)
    lon, lat = radec_of(app)
    return float(lon), float(lat)
