// Every page: each <time datetime> is shown in the viewer's time zone, to the
// second; the UTC value the server wrote stays in its title (shown on hover).
// Other scripts call window.threadlineLocalTime(element) on a time they update.
function threadlineLocalTime(element) {
  const utc = element.getAttribute('datetime');
  const date = new Date(utc);
  if (!utc || Number.isNaN(date.getTime())) return;
  element.title = `${utc} (UTC)`;
  element.textContent = date.toLocaleString(undefined, {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    timeZoneName: 'short',
  });
}
window.threadlineLocalTime = threadlineLocalTime;
for (const element of document.querySelectorAll('time[datetime]')) threadlineLocalTime(element);
