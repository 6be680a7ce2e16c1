# The service image: the same two commands as on a developer machine.
FROM node:20-bookworm
WORKDIR /app
COPY package.json package-lock.json ./
# nodehun (Hunspell) builds with node-gyp: bookworm's full image has python3, make and g++
RUN npm ci --omit=dev
COPY . .
ENV HOST=0.0.0.0 PORT=3000
EXPOSE 3000
CMD ["node", "bin/sonde.js", "start"]
