"""One cold transform through Prism's service, in its own process; prints one JSON line.

Usage: python transform_job.py INPUT WIDTH FORMAT QUALITY

The process first makes the same transform of another upload of the same file, untimed (a
warm function, as on Lambda after its first request; sharp_transform.mjs warms up alike).

The original is put in a fresh local store first (not timed). Timed: the cold request -
reading the original from storage, decoding, resizing, encoding and storing the result, all
of find_or_make - then the cached request for the same transform (a stored-object check and
a read, no decode).
"""

from __future__ import annotations

import json
import resource
import sys
import tempfile
import time
from pathlib import Path


def main(argv: list[str]) -> int:
    source, width, fmt, quality = Path(argv[0]), int(argv[1]), argv[2], int(argv[3])
    # Everything imported before the clock starts (cold imports are coldstart.py's business).
    # Pillow imports its format plugins and colour management on first use. On Lambda those
    # modules are compiled into the image and imported by the first request of a container;
    # here (no bytecode cache) compiling them would be most of a cold job's time, so they
    # are loaded before the clock, as sharp's libvips is by require().
    import PIL.Image
    import PIL.ImageCms

    import prism.image.pipeline  # noqa: F401 - the service imports it on its first render
    from prism.core.settings import load_settings
    from prism.http.dependencies import open_storage
    from prism.service.transforms import find_or_make, read_stored
    from prism.storage.layout import new_image_id, upload_key

    PIL.Image.init()

    rss_after_imports = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    with tempfile.TemporaryDirectory() as data_dir:
        settings = load_settings({"PRISM_STORAGE": "local", "PRISM_DATA_DIR": data_dir})
        storage = open_storage(settings)
        warm_id, image_id = new_image_id(), new_image_id()
        for upload in (warm_id, image_id):
            key = upload_key(settings.uploads_prefix, upload)
            storage.put("uploads", key, source.read_bytes(), "image/jpeg")
        query = f"width={width}&format={fmt}&quality={quality}"
        # A running function meeting a cache miss: the same transform of another upload
        # first, untimed, loads what the first render of a process loads (codecs, colour
        # management, simplejpeg where a finer JPEG scale applies). sharp_transform.mjs does
        # the same. The timed request then finds nothing stored for its own image.
        find_or_make(storage, settings, (), warm_id, query, None)

        t0 = time.perf_counter()
        try:
            cold = find_or_make(storage, settings, (), image_id, query, None)
        except Exception as exc:  # a failure is data: the report shows it
            print(json.dumps({"error": f"{type(exc).__name__}: {exc}"[:300]}))
            return 0
        wall = time.perf_counter() - t0

        t1 = time.perf_counter()
        cached = find_or_make(storage, settings, (), image_id, query, None)
        stored = read_stored(storage, cached)
        cached_wall = time.perf_counter() - t1
        assert not cached.made
        assert stored is not None

    import io

    from PIL import Image

    with Image.open(io.BytesIO(stored[0])) as im:
        out_w, out_h = im.size
    print(
        json.dumps(
            {
                "wall": wall,
                "cached_wall": cached_wall,
                "bytes": cold.size,
                "width": out_w,
                "height": out_h,
                "rss_after_imports": rss_after_imports,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
