"""The state the ion event loop works on: the read-only tables (:data:`Static`), the arrays events
change (:data:`State`), and the indices of its scalars, counters and stop reasons. Shared by the
event loop (:mod:`kmc.core.hopping`), the site updates (:mod:`kmc.core.site_updates`) and the
surface channels (:mod:`kmc.core.surface`)."""

from collections import namedtuple

# index of the mutable scalars in ``sc`` (float64) and counters in ``cnt`` (int64)
SC_TIME_S, SC_NEXT_T, SC_K_ESC_HZ = range(3)
N_SC = 3
(CNT_EVENTS, CNT_ELECTROLYTE, CNT_HOPS, CNT_EXITS, CNT_ENTRIES, CNT_FIELD_REFRESH, CNT_BULK,
 CNT_TOP_OCC, CNT_WIN_LO) = range(9)
N_CNT = 9
#: names of the first counters, as ``IonSystem.counters()`` reports them
COUNTER_NAMES = ("events", "n_surface_electrolyte", "hops", "exits", "entries", "field_refreshes", "escapes")
# why a chunk returned
STOP_TIME, STOP_EVENTS, STOP_WINDOW, STOP_FROZEN = range(4)
#: films from this many sites on prefetch the lines an event will touch (smaller ones fit in cache)
PREFETCH_MIN_SITES = 1 << 15


#: read-only tables: neighbours (int32), direction ids of the hops and their class and vector (Å),
#: layers, the hop law (``shell2`` (n, z2) int32, ``stride1`` = (z2+1)·n_static: the code step of
#: one occupied hop neighbour; ``dest`` (n_codes,) destination factors, empty for most laws); the
#: surface's coupling to the site energy (:mod:`kmc.core.surface`): ``top_w_out``/``top_w_in``
#: (n_codes,) int64 weights, ``top_w_unit`` (2,) their units, ``near_top`` (n,) uint8 = 1 where a
#: flip changes the code of a top site; all empty when uncoupled); a metal-centred energy
#: (:mod:`kmc.core.metal_counts`): ``metal_of``, ``metal_species``, ``phi``, ``metal_shell``
#: (``phi`` empty without one) and, coupled, ``top_metal_w`` (:mod:`kmc.core.surface`)
Static = namedtuple("Static", ["nbr", "hop", "dir_cls", "dir_vec", "layer", "layer_ptr", "layer_sites",
                               "env_static", "base", "dz_classes", "sites_per_layer", "top_sites", "n_static",
                               "tol_count", "shell2", "stride1", "dest", "top_w_out", "top_w_in", "top_w_unit",
                               "near_top", "metal_of", "metal_species", "phi", "metal_shell", "top_metal_w"])
#: what events change (arrays, mutated in place)
State = namedtuple("State", ["rec", "rec16", "ion_at", "disp", "electrolyte", "layer_n", "layer_ref",
                             "r_gap", "fstate", "tilt", "field_par", "tree", "sc", "cnt", "rng", "top_perm",
                             "top_pos", "bnd_out", "bnd_in", "buf", "seen", "metal_n"])
