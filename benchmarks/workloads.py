"""The standard benchmark workloads of the foundation issue, in one table."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ConvWorkload:
    """A filter-bank convolution: images ``(m, h, w, c)``, kernels ``(k, k, c, n)``, 'same' padding."""

    name: str
    m: int
    h: int
    w: int
    c: int
    n: int
    k: int = 3
    stride: int = 1
    dilation: int = 1

    def out_hw(self) -> tuple[int, int]:
        from autograder.reference import conv_output_size

        return (conv_output_size(self.h, self.k, "same", self.stride, self.dilation),
                conv_output_size(self.w, self.k, "same", self.stride, self.dilation))

    def flops(self) -> float:
        """Multiply-adds counted as 2 flops, over every output element of the (padded) convolution."""
        oh, ow = self.out_hw()
        return 2.0 * self.m * oh * ow * self.n * self.k * self.k * self.c

    def describe(self) -> str:
        extra = f", stride {self.stride}" if self.stride != 1 else ""
        extra += f", dilation {self.dilation}" if self.dilation != 1 else ""
        return f"m={self.m}, {self.h}x{self.w}x{self.c} -> {self.n}, {self.k}x{self.k} same{extra}"


@dataclass(frozen=True)
class PoolWorkload:
    """Pooling of images ``(m, h, w, c)`` float32."""

    name: str
    m: int
    h: int
    w: int
    c: int
    k: int
    stride: int
    mode: str
    padding: str

    def out_hw(self) -> tuple[int, int]:
        from autograder.reference import conv_output_size

        return (conv_output_size(self.h, self.k, self.padding, self.stride),
                conv_output_size(self.w, self.k, self.padding, self.stride))

    def bytes_moved(self, itemsize: int = 4) -> float:
        """Bytes read (the input once) plus bytes written (the output)."""
        oh, ow = self.out_hw()
        return self.input_bytes(itemsize) + float(itemsize * self.m * self.c * oh * ow)

    def input_bytes(self, itemsize: int = 4) -> float:
        """Bytes of the input alone, which pooling reads once."""
        return float(itemsize * self.m * self.c * self.h * self.w)

    def backward_bytes(self, itemsize: int = 4) -> float:
        """Bytes the backward pass must move: d_out read, d_images written, and for max the images read
        (to find each window's maximum)."""
        oh, ow = self.out_hw()
        images = self.h * self.w if self.mode == "max" else 0
        return float(itemsize * self.m * self.c * (oh * ow + self.h * self.w + images))

    def describe(self) -> str:
        return f"({self.m}, {self.h}, {self.w}, {self.c}) float32, {self.mode} {self.k}x{self.k}/{self.stride} {self.padding}"


CONV = {
    "B": ConvWorkload("B", m=64, h=32, w=32, c=3, n=64),
    "C": ConvWorkload("C", m=16, h=56, w=56, c=64, n=64),
    "D": ConvWorkload("D", m=16, h=56, w=56, c=64, n=128, stride=2),
    "E": ConvWorkload("E", m=16, h=56, w=56, c=32, n=32, dilation=2),
}

POOL = {
    "max2": PoolWorkload("max2", m=32, h=112, w=112, c=64, k=2, stride=2, mode="max", padding="valid"),
    "avg3": PoolWorkload("avg3", m=32, h=112, w=112, c=64, k=3, stride=2, mode="avg", padding="same"),
}
