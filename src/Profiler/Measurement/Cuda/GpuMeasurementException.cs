namespace GaLore.Profiler.Measurement.Cuda;

/// <summary>GPU memory cannot be measured here; the message says why and what to check.</summary>
public sealed class GpuMeasurementException(string message) : Exception(message);
