"""Small simulated ramps for the ramp-fitting tests: Poisson signal, read noise, jumps."""

import numpy as np

DNU, SAT, JUMP, PERS, CHARGELOSS = 1, 2, 4, 32, 128
GROUP_TIME = 10.737


def simulate(
    rng,
    nints=1,
    ngroups=10,
    ny=12,
    nx=15,
    rate=None,
    jump_prob=0.0,
    jump_dn=(200.0, 3000.0),
    full_well=None,
    flag_jumps=True,
    nframes=1,
    group_time=GROUP_TIME,
):
    """Ramps in DN with bias 1000; returns a dict with the arrays and the truth."""
    if rate is None:
        rate = rng.gamma(1.0, 20.0, (ny, nx))
    rate = np.broadcast_to(np.asarray(rate, dtype=np.float64), (ny, nx))
    gain = rng.uniform(1.6, 2.4, (ny, nx)).astype(np.float32)
    readnoise = rng.uniform(8.0, 14.0, (ny, nx)).astype(np.float32)  # CDS, DN
    electrons = rng.poisson((rate * gain)[None, None] * group_time, (nints, ngroups, ny, nx))
    signal = np.cumsum(electrons, axis=1) / gain
    # READNOISE is CDS noise: each group read carries rn / sqrt(2 nframes)
    noise = rng.normal(0.0, 1.0, signal.shape) * readnoise / np.sqrt(2.0 * nframes)
    data = (1000.0 + signal + noise).astype(np.float32)
    gdq = np.zeros(data.shape, np.uint8)
    jumps = np.zeros(data.shape, bool)
    if jump_prob:
        jumps = rng.random(data.shape) < jump_prob
        jumps[:, 0] = False
        amp = rng.uniform(*jump_dn, data.shape)
        data += np.cumsum(jumps * amp, axis=1).astype(np.float32)
        if flag_jumps:
            gdq[jumps] |= JUMP
    if full_well is not None:
        sat = np.maximum.accumulate(data > full_well, axis=1)
        gdq[sat] |= SAT
    return {
        "data": data,
        "groupdq": gdq,
        "pixeldq": np.zeros((ny, nx), np.uint32),
        "readnoise": readnoise,
        "gain": gain,
        "rate": np.asarray(rate),
        "jumps": jumps,
        "group_time": group_time,
    }


def over_ramps(data, rate_groups=True):
    """Products of the exposure and of each integration in planes of the ramps: the
    rateints of integration i in its groups 0-4; with ``rate_groups``, the rate in groups
    5-9 of the last integration, else None."""
    from jwcore.ramp import RampProducts

    def products(planes):
        return RampProducts(planes[0], planes[4].view(np.uint32), *planes[1:4])

    ints = products([data[:, k] for k in range(5)])
    rate = products([data[-1, 5 + k] for k in range(5)]) if rate_groups else None
    return rate, ints
