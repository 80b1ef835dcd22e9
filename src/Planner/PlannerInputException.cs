namespace GaLore.Planner;

/// <summary>
/// Bad user input (unknown model or GPU, malformed JSON, a rank larger than a weight's dimension,
/// a negative batch, ...). The CLI prints <see cref="Exception.Message"/> as one line and exits 2,
/// so the message must name the problem on its own.
/// </summary>
public sealed class PlannerInputException(string message, Exception? inner = null) : Exception(message, inner);
