"""Regenerate the sample images used by the articles in ``source/``.

Run from anywhere:

    python source/images/make_images.py

The output is deterministic: no randomness is used, and Pillow writes no
timestamp or other variable metadata into the PNG files. Each image is
reduced to a small fixed palette and saved with ``optimize=True`` so the
files stay well under 150 KB.
"""

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

HERE = Path(__file__).resolve().parent

# House colours
NAVY = (22, 42, 74)
TEAL = (0, 128, 128)
CORAL = (232, 93, 74)
SAND = (244, 236, 220)
GREY = (120, 120, 120)
LIGHT_GREY = (220, 220, 220)
WHITE = (255, 255, 255)
BLACK = (30, 30, 30)
GOLD = (242, 183, 5)


def font(size):
    """Pillow's bundled default font at the given size (bitmap fallback)."""
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError):  # very old Pillow or no FreeType support
        return ImageFont.load_default()


def text_size(draw, text, fnt):
    left, top, right, bottom = draw.textbbox((0, 0), text, font=fnt)
    return right - left, bottom - top


def save(img, name, colors):
    """Quantize to a fixed-size palette without dithering and save."""
    out = img.convert("RGB").quantize(
        colors=colors, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
    )
    path = HERE / name
    out.save(path, format="PNG", optimize=True)
    print(f"wrote {path} ({path.stat().st_size} bytes)")


def make_chart():
    """1200x700 grouped bar chart: partial corrections per month."""
    w, h = 1200, 700
    img = Image.new("RGB", (w, h), WHITE)
    d = ImageDraw.Draw(img)

    months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun"]
    series = [
        ("2022", CORAL, [9, 11, 8, 12, 10, 7]),
        ("2023", TEAL, [3, 2, 2, 1, 1, 0]),
    ]
    y_max, y_step = 14, 2

    # Plot area
    left, right, top, bottom = 130, 1140, 120, 600

    title_font = font(34)
    label_font = font(22)
    small_font = font(18)

    d.text((left, 30), "Partial corrections per month", fill=NAVY, font=title_font)
    d.text(
        (left, 75),
        "Corrections that reached some formats of a story but not others",
        fill=GREY,
        font=small_font,
    )

    # Horizontal gridlines and y-axis labels
    for v in range(0, y_max + 1, y_step):
        y = bottom - (bottom - top) * v / y_max
        if v:
            d.line([(left, y), (right, y)], fill=LIGHT_GREY, width=1)
        label = str(v)
        tw, th = text_size(d, label, label_font)
        d.text((left - 15 - tw, y - th / 2 - 4), label, fill=BLACK, font=label_font)
        d.line([(left - 8, y), (left, y)], fill=BLACK, width=2)

    # Bars
    group_w = (right - left) / len(months)
    bar_w = group_w * 0.3
    gap = group_w * 0.05
    for i, month in enumerate(months):
        gx = left + group_w * i
        start = gx + (group_w - (2 * bar_w + gap)) / 2
        for j, (_, colour, values) in enumerate(series):
            v = values[i]
            x0 = start + j * (bar_w + gap)
            y0 = bottom - (bottom - top) * v / y_max
            if v:
                d.rectangle([x0, y0, x0 + bar_w, bottom], fill=colour)
            val = str(v)
            tw, th = text_size(d, val, small_font)
            d.text((x0 + (bar_w - tw) / 2, y0 - th - 10), val, fill=BLACK, font=small_font)
        tw, _ = text_size(d, month, label_font)
        d.text((gx + (group_w - tw) / 2, bottom + 14), month, fill=BLACK, font=label_font)

    # Axes
    d.line([(left, top - 10), (left, bottom)], fill=BLACK, width=3)
    d.line([(left, bottom), (right, bottom)], fill=BLACK, width=3)

    # Axis titles
    d.text((left + (right - left) / 2 - 30, bottom + 50), "Month", fill=GREY, font=label_font)
    ylabel = Image.new("RGB", (220, 30), WHITE)
    ImageDraw.Draw(ylabel).text((0, 0), "Corrections", fill=GREY, font=label_font)
    ylabel = ylabel.rotate(90, expand=True)
    img.paste(ylabel, (30, top + (bottom - top) // 2 - 110))

    # Legend
    lx, ly = right - 250, 40
    for j, (name, colour, _) in enumerate(series):
        x = lx + j * 130
        d.rectangle([x, ly, x + 28, ly + 28], fill=colour)
        d.text((x + 38, ly + 1), name, fill=BLACK, font=label_font)

    d.text((left, h - 40), "Source: Courier production desk", fill=GREY, font=small_font)
    save(img, "chart.png", colors=32)


def make_icon():
    """64x64 'download' icon: white arrow into a tray on a teal rounded square."""
    s = 64
    img = Image.new("RGBA", (s, s), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    d.rounded_rectangle([2, 2, s - 3, s - 3], radius=12, fill=TEAL)
    # Arrow shaft and head
    d.rectangle([28, 12, 36, 32], fill=WHITE)
    d.polygon([(18, 30), (46, 30), (32, 44)], fill=WHITE)
    # Tray
    d.rectangle([14, 46, 50, 51], fill=WHITE)
    d.rectangle([14, 38, 19, 51], fill=WHITE)
    d.rectangle([45, 38, 50, 51], fill=WHITE)
    # Keep transparency: quantize RGBA with a fast octree palette.
    out = img.quantize(colors=16, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    path = HERE / "icon.png"
    out.save(path, format="PNG", optimize=True)
    print(f"wrote {path} ({path.stat().st_size} bytes)")


def make_cover():
    """1200x1600 cover: navy background, large geometric shapes, title text."""
    w, h = 1200, 1600
    img = Image.new("RGB", (w, h), NAVY)
    d = ImageDraw.Draw(img)

    # Large shapes
    d.ellipse([560, -240, 1460, 660], fill=TEAL)
    d.ellipse([700, -100, 1320, 520], fill=NAVY)
    d.ellipse([820, 20, 1200, 400], fill=GOLD)
    d.polygon([(0, 1600), (0, 900), (760, 1600)], fill=CORAL)
    d.rectangle([0, 1480, w, h], fill=SAND)

    # Stack of "pages" suggesting many formats
    for i, colour in enumerate([SAND, WHITE, SAND, WHITE, GOLD]):
        x0 = 120 + i * 36
        y0 = 780 + i * 36
        d.rectangle([x0, y0, x0 + 360, y0 + 460], fill=colour, outline=NAVY, width=4)

    # Title block
    d.rectangle([100, 300, 180, 310], fill=GOLD)
    d.text((100, 340), "One story,", fill=WHITE, font=font(110))
    d.text((100, 470), "five formats", fill=GOLD, font=font(110))
    d.text((100, 640), "Inside our publishing style guide", fill=SAND, font=font(44))
    d.text((100, 1515), "THE COURIER", fill=NAVY, font=font(48))

    save(img, "cover.png", colors=16)


if __name__ == "__main__":
    make_chart()
    make_icon()
    make_cover()
