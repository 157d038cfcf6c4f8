package dev.mlb.iproute;

import static com.google.common.base.Preconditions.checkArgument;

import dev.mlb.api.Numbers;

/**
 * The scope of a route: how far away its destination is.
 *
 * <pre>{@code
 * RouteScope.parse("link");            // link (253)
 * RouteScope.parse("200").toString();  // "site"
 * RouteScope.parse("100").toString();  // "100"
 * RouteScope.GLOBAL.toString();        // "global"
 * }</pre>
 *
 * @param number 0 to 255; {@code global} 0, {@code site} 200, {@code link} 253, {@code host} 254,
 *     {@code nowhere} 255
 */
public record RouteScope(int number) {

  public static final RouteScope GLOBAL = new RouteScope(0);
  public static final RouteScope SITE = new RouteScope(200);
  public static final RouteScope LINK = new RouteScope(253);
  public static final RouteScope HOST = new RouteScope(254);
  public static final RouteScope NOWHERE = new RouteScope(255);

  public RouteScope {
    checkArgument(number >= 0 && number <= 255, "route scope %s is outside 0..255", number);
  }

  /**
   * Parses {@code global} (or {@code universe}), {@code site}, {@code link}, {@code host},
   * {@code nowhere} or a number 0 to 255.
   *
   * @throws IllegalArgumentException naming {@code text} otherwise
   */
  public static RouteScope parse(String text) {
    switch (text) {
      case "global":
      case "universe":
        return GLOBAL;
      case "site":
        return SITE;
      case "link":
        return LINK;
      case "host":
        return HOST;
      case "nowhere":
        return NOWHERE;
      default:
        long v = Numbers.parseUnsigned(text, 255);
        if (v < 0) {
          throw new IllegalArgumentException(
              "unknown route scope \"" + text + "\"; expected global, site, link, host, nowhere or 0 to 255");
        }
        return new RouteScope((int) v);
    }
  }

  /** The name {@code ip} prints, or the number. */
  @Override
  public String toString() {
    switch (number) {
      case 0:
        return "global";
      case 200:
        return "site";
      case 253:
        return "link";
      case 254:
        return "host";
      case 255:
        return "nowhere";
      default:
        return Integer.toString(number);
    }
  }
}
